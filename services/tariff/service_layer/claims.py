"""The claim step: price an eligible claim and publish ClaimPriced or a pricing rejection."""

from __future__ import annotations

from contracts.eligibility import EligibilityCheckedV1
from contracts.envelope import Envelope
from contracts.tariff import ClaimPricedV1, ClaimPricingRejectedV1, PricedLine
from runtime.messaging.uow import Unit
from services.tariff.domain.nomenclature import load
from services.tariff.domain.pricing import Coverage, PricingError, price


async def on_eligibility_checked(unit: Unit, envelope: Envelope, event: EligibilityCheckedV1) -> None:
    if not event.eligible:
        return
    coverage = Coverage(event.card_colour, event.etm, event.overrun_allowed, event.hnp_allowed)
    try:
        priced = price(event.claim, coverage, load())
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
        ClaimPricedV1(
            reference=event.reference,
            practitioner_id=event.practitioner_id,
            tariff_version=priced.version,
            lines=[PricedLine(**line.__dict__) for line in priced.lines],
            total_base=priced.total_base,
            total_fee=priced.total_fee,
            total_reimbursement=priced.total_reimbursement,
            patient_share=priced.patient_share,
            paid_to_professional=priced.paid_to_professional,
        ),
        subject=event.reference,
        cause=envelope,
    )
