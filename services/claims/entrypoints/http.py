"""The portal's claim endpoints: transmit an FSE (receipt at once) and read its status."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from contracts.common import ClaimContent
from runtime.security import CurrentActor
from runtime.service import RuntimeDep
from services.claims.adapters.repository import ClaimRepository
from services.claims.service_layer.intake import IntakeRefusedError, receive_claim

router = APIRouter(prefix="/claims", tags=["claims"])


class ReceiptOut(BaseModel):
    reference: str
    received_at: datetime
    digest: str
    submission_id: str


class ClaimOut(BaseModel):
    reference: str
    status: str
    received_at: datetime
    first_date_of_care: date
    reason_code: str | None
    reason: str | None
    decided_at: datetime | None
    total_fee: Decimal | None
    total_reimbursement: Decimal | None
    paid_to_professional: Decimal | None
    patient_share: Decimal | None


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=ReceiptOut)
async def submit_claim(claim: ClaimContent, actor: CurrentActor, runtime: RuntimeDep) -> ReceiptOut:
    """Transmit an FSE: stored and acknowledged at once; eligibility, pricing and decision follow."""
    try:
        async with runtime.uow() as unit:
            receipt = await receive_claim(unit, actor, claim, datetime.now(UTC))
    except IntakeRefusedError as error:
        raise HTTPException(error.status, {"code": error.code, "errors": [str(error)]}) from None
    return ReceiptOut(**receipt.__dict__)


@router.get("/{reference}", response_model=ClaimOut)
async def read_claim(reference: str, actor: CurrentActor, runtime: RuntimeDep) -> ClaimOut:
    async with runtime.sessions() as session:
        claim = await ClaimRepository(session).get(reference)
    if claim is None or claim.practitioner_id != actor.practitioner_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "reference: no such FSE for this practitioner")
    return ClaimOut.model_validate(claim, from_attributes=True)
