"""The instant preview: the portal prices acts while the professional codes them."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from contracts.common import CardColour, ClaimContent
from contracts.reasons import describe
from contracts.tariff import PricedLine
from runtime.security import CurrentActor
from services.tariff.domain.coverage import Coverage
from services.tariff.domain.errors import PricingError
from services.tariff.entrypoints.deps import StateDep
from services.tariff.service_layer.mapping import amounts
from services.tariff.service_layer.quotes import quote

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
    total_overrun: Decimal
    patient_share: Decimal
    paid_to_professional: Decimal
    paid_to_insured: Decimal
    patient_pays_professional: Decimal


def refusal(error: PricingError) -> JSONResponse:
    field, _, reason = str(error).partition(": ")
    body = {
        "code": error.code,
        "reason": describe(error.code),
        "line": error.line,
        "errors": [{"field": field, "reason": reason}],
    }
    return JSONResponse(body, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


@router.post("/preview", response_model=PreviewOut, responses={422: {"description": "refused by pricing"}})
async def preview(request: PreviewIn, _actor: CurrentActor, state: StateDep) -> PreviewOut | JSONResponse:
    coverage = Coverage(request.card_colour, request.etm, request.overrun_allowed, request.hnp_allowed)
    try:
        return PreviewOut.model_validate(amounts(quote(state, request.claim, coverage)))
    except PricingError as error:
        return refusal(error)
