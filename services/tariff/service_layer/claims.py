"""The claim step: price an eligible claim and publish ClaimPriced or a pricing rejection."""

from __future__ import annotations

from contracts.eligibility import EligibilityCheckedV1
from contracts.envelope import Envelope
from contracts.tariff import ClaimPricedV1, ClaimPricingRejectedV1
from runtime.messaging.uow import Unit
from services.tariff.domain.coverage import Coverage
from services.tariff.domain.errors import PricingError
from services.tariff.service_layer.mapping import amounts
from services.tariff.service_layer.quotes import quote
from services.tariff.service_layer.state import TariffState


async def on_eligibility_checked(
    state: TariffState, unit: Unit, envelope: Envelope, event: EligibilityCheckedV1
) -> None:
    if not event.eligible:
        return
    await state.ready.wait()
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
