"""The claims service's subscriptions: transmissions from practice software, and the verdicts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from contracts import topics
from contracts.claims import ClaimSubmittedV1
from contracts.eligibility import EligibilityCheckedV1
from contracts.envelope import Envelope
from contracts.tariff import ClaimPricedV1, ClaimPricingRejectedV1
from runtime.messaging.consumer import MessageRejectedError, Subscription
from runtime.messaging.uow import Unit
from runtime.security import InvalidTokenError
from runtime.service import Runtime
from services.claims.service_layer import decisions
from services.claims.service_layer.intake import IntakeRefusedError, receive_claim


def subscriptions(runtime: Runtime) -> Sequence[Subscription]:
    async def on_claim_submitted(unit: Unit, _envelope: Envelope, event: ClaimSubmittedV1) -> None:
        try:
            actor = runtime.verifier.verify(event.access_token)
            await receive_claim(unit, actor, event.claim, datetime.now(UTC))
        except InvalidTokenError:
            raise MessageRejectedError("access_token: invalid or expired token") from None
        except IntakeRefusedError as error:
            raise MessageRejectedError(f"{error.code}: {error}") from None

    return [
        Subscription(topics.CLAIM_SUBMISSIONS, "claims-intake", {ClaimSubmittedV1: on_claim_submitted}),
        Subscription(
            topics.ELIGIBILITY, "claims-eligibility", {EligibilityCheckedV1: decisions.on_eligibility_checked}
        ),
        Subscription(
            topics.TARIFF,
            "claims-tariff",
            {ClaimPricedV1: decisions.on_claim_priced, ClaimPricingRejectedV1: decisions.on_pricing_rejected},
        ),
    ]
