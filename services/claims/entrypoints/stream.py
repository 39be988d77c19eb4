"""The claims service's subscriptions: transmissions from practice software, verdicts and payments."""

from __future__ import annotations

from collections.abc import Sequence

from contracts import topics
from contracts.claims import ClaimSubmittedV1
from contracts.eligibility import EligibilityCheckedV1
from contracts.envelope import Envelope
from contracts.payments import PaymentIssuedV1
from contracts.tariff import ClaimPricedV1, ClaimPricingRejectedV1
from runtime.messaging.consumer import Subscription
from runtime.messaging.uow import Unit
from runtime.service import Runtime
from services.claims.adapters import clock
from services.claims.adapters.signing import receipt_signer
from services.claims.service_layer import decisions
from services.claims.service_layer.intake import prefetch_transmissions, receive_transmission
from services.claims.service_layer.payments import on_payment_issued


def subscriptions(runtime: Runtime) -> Sequence[Subscription]:
    async def on_claim_submitted(unit: Unit, _envelope: Envelope, event: ClaimSubmittedV1) -> None:
        await receive_transmission(unit, event, clock.now(runtime), runtime.verifier, receipt_signer(runtime))

    async def prefetch_submitted(unit: Unit, events: Sequence[ClaimSubmittedV1]) -> None:
        await prefetch_transmissions(unit, events, runtime.verifier)

    group = "claims"
    return [
        Subscription(
            topics.CLAIM_SUBMISSIONS,
            group,
            {ClaimSubmittedV1: on_claim_submitted},
            prefetch={ClaimSubmittedV1: prefetch_submitted},
        ),
        Subscription(
            topics.ELIGIBILITY,
            group,
            {EligibilityCheckedV1: decisions.on_eligibility_checked},
            prefetch={EligibilityCheckedV1: decisions.prefetch_verdicts},
        ),
        Subscription(
            topics.TARIFF,
            group,
            {ClaimPricedV1: decisions.on_claim_priced, ClaimPricingRejectedV1: decisions.on_pricing_rejected},
            prefetch={
                ClaimPricedV1: decisions.prefetch_priced,
                ClaimPricingRejectedV1: decisions.prefetch_priced,
            },
        ),
        Subscription(topics.PAYMENTS, group, {PaymentIssuedV1: on_payment_issued}),
    ]
