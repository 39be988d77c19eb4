"""The instant preview: the portal prices acts while the professional codes them."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from contracts.common import CardColour, ClaimContent
from contracts.tariff import PricedLine
from runtime.security import CurrentActor
from services.tariff.domain.nomenclature import load
from services.tariff.domain.pricing import Coverage, PricingError, price

router = APIRouter(prefix="/tariff", tags=["tariff"])


class PreviewIn(BaseModel):
    claim: ClaimContent
    card_colour: CardColour
    etm: bool = False
    overrun_allowed: bool = False
    hnp_allowed: bool = False


class PreviewOut(BaseModel):
    tariff_version: str
    lines: list[PricedLine]
    total_base: Decimal
    total_fee: Decimal
    total_reimbursement: Decimal
    patient_share: Decimal
    paid_to_professional: Decimal


@router.post("/preview", response_model=PreviewOut)
async def preview(request: PreviewIn, _actor: CurrentActor) -> PreviewOut:
    coverage = Coverage(request.card_colour, request.etm, request.overrun_allowed, request.hnp_allowed)
    try:
        priced = price(request.claim, coverage, load())
    except PricingError as error:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, {"code": error.code, "errors": [str(error)]}
        ) from None
    return PreviewOut(
        tariff_version=priced.version,
        lines=[PricedLine(**line.__dict__) for line in priced.lines],
        total_base=priced.total_base,
        total_fee=priced.total_fee,
        total_reimbursement=priced.total_reimbursement,
        patient_share=priced.patient_share,
        paid_to_professional=priced.paid_to_professional,
    )
