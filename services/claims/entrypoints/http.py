"""The portal's claim endpoints: transmit an FSE (signed receipt at once), read, delete, verify."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from contracts.common import ClaimContent
from runtime.http import declared
from runtime.security import CurrentActor
from runtime.service import RuntimeDep
from services.claims.adapters import clock
from services.claims.adapters.repository import ClaimRepository
from services.claims.adapters.signing import receipt_signer
from services.claims.domain.receipts import Receipt
from services.claims.service_layer.deletion import delete_claim
from services.claims.service_layer.errors import RefusedError
from services.claims.service_layer.intake import read_ahead, receive_claim

router = APIRouter(prefix="/claims", tags=["claims"])


class ReceiptOut(BaseModel):
    reference: str
    received_at: datetime
    digest: str
    submission_id: str
    practitioner_id: str
    entered_by: str
    signature: str
    algorithm: str = "ed25519"


class ClaimOut(BaseModel):
    reference: str
    status: str
    entered_by: str
    received_at: datetime
    first_date_of_care: date
    reason_code: str | None
    reason: str | None
    decided_at: datetime | None
    total_fee: Decimal | None
    total_reimbursement: Decimal | None
    paid_to_professional: Decimal | None
    patient_share: Decimal | None


def refused(error: RefusedError) -> HTTPException:
    return HTTPException(
        error.status, {"code": error.code, "errors": [{"field": error.field, "reason": error.reason}]}
    )


@router.post(
    "", status_code=status.HTTP_202_ACCEPTED, response_model=ReceiptOut, responses=declared(403, 409)
)
async def submit_claim(claim: ClaimContent, actor: CurrentActor, runtime: RuntimeDep) -> ReceiptOut:
    """Transmit an FSE: stored and acknowledged at once; eligibility, pricing and decision follow."""
    now, signer = clock.now(runtime), receipt_signer(runtime)
    try:
        signed = await runtime.grouped.run(
            lambda unit: receive_claim(unit, actor, claim, now, signer), read_ahead(actor, claim)
        )
    except RefusedError as error:
        raise refused(error) from None
    return ReceiptOut(**signed.receipt.__dict__, signature=signed.signature)


@router.get("/receipts/public-key", response_class=PlainTextResponse)
async def receipt_public_key(runtime: RuntimeDep) -> str:
    """The Ed25519 public key (PEM) that verifies receipts offline."""
    return receipt_signer(runtime).public_key_pem()


@router.post("/receipts/verify")
async def verify_receipt(receipt: ReceiptOut, runtime: RuntimeDep) -> dict[str, bool]:
    """Whether a receipt (as returned at submission) was signed by this service, unaltered."""
    fields = receipt.model_dump(exclude={"signature", "algorithm"})
    return {"valid": receipt_signer(runtime).verify(Receipt(**fields), receipt.signature)}


@router.get("/{reference}", response_model=ClaimOut, responses=declared(404))
async def read_claim(reference: str, actor: CurrentActor, runtime: RuntimeDep) -> ClaimOut:
    async with runtime.sessions() as session:
        claim = await ClaimRepository(session).get(reference)
    if claim is None or claim.practitioner_id != actor.practitioner_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "reference: no such FSE for this practitioner")
    return ClaimOut.model_validate(claim, from_attributes=True)


@router.delete("/{reference}", status_code=status.HTTP_204_NO_CONTENT, responses=declared(403, 404, 409))
async def remove_claim(reference: str, actor: CurrentActor, runtime: RuntimeDep) -> None:
    """Delete an FSE of the day, until 22:00 in Monaco; publishes ClaimCancelled."""
    try:
        async with runtime.uow() as unit:
            await delete_claim(unit, actor, reference, clock.now(runtime))
    except RefusedError as error:
        raise refused(error) from None
