"""The claim step: price an eligible claim and publish ClaimPriced or a pricing rejection, unless the
claim was cancelled first.

ClaimCancelled (fse.claims) and EligibilityChecked (fse.eligibility) come on two topics (one group
reads both), so either may come first: a cancellation seen first skips the pricing; one seen in the
same batch after it withdraws the uncommitted verdict; one seen later has nothing to undo, since the
claims service ignores a verdict on a cancelled claim."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from contracts.claims import ClaimCancelledV1
from contracts.eligibility import EligibilityCheckedV1
from contracts.envelope import Envelope
from contracts.tariff import ClaimPricedV1, ClaimPricingRejectedV1
from runtime.messaging.closed import ClosedSubjects
from runtime.messaging.uow import Unit
from services.tariff.adapters.orm import cancelled_claims
from services.tariff.domain.coverage import Coverage
from services.tariff.domain.errors import PricingError
from services.tariff.service_layer.mapping import amounts
from services.tariff.service_layer.quotes import quote
from services.tariff.service_layer.state import TariffState

cancellations = ClosedSubjects(cancelled_claims)


async def prefetch_checked(unit: Unit, events: Sequence[EligibilityCheckedV1]) -> None:
    await cancellations.prefetch(unit, (event.reference for event in events if event.eligible))


async def on_eligibility_checked(
    state: TariffState, unit: Unit, envelope: Envelope, event: EligibilityCheckedV1
) -> None:
    if not event.eligible or await cancellations.is_closed(unit, event.reference):
        return
    coverage = Coverage(event.card_colour, event.etm, event.overrun_allowed, event.hnp_allowed)
    try:
        priced = quote(state, event.claim, coverage)
    except PricingError as error:
        unit.emit(
            ClaimPricingRejectedV1(
                reference=event.reference,
                practitioner_id=event.practitioner_id,
                reason_code=error.code,
                reason=str(error),
                line=error.line,
            ),
            subject=event.reference,
            cause=envelope,
        )
        return
    unit.emit(
        ClaimPricedV1.model_validate(
            {"reference": event.reference, "practitioner_id": event.practitioner_id, **amounts(priced)}
        ),
        subject=event.reference,
        cause=envelope,
    )


async def on_claim_cancelled(unit: Unit, _envelope: Envelope, event: ClaimCancelledV1) -> None:
    await cancellations.close(unit, event.reference, event.cancelled_at, datetime.now(UTC))
    unit.withdraw(event.reference, ClaimPricedV1)
    unit.withdraw(event.reference, ClaimPricingRejectedV1)
