"""Receiving an FSE, whichever entry point it came through: check, store, acknowledge at once."""

from __future__ import annotations

from datetime import datetime

from contracts.claims import ClaimReceivedV1
from contracts.common import ClaimContent
from runtime.messaging.uow import Unit
from runtime.security import Actor, Role
from services.claims.adapters.repository import ClaimRepository
from services.claims.domain.deadlines import MONACO, DeadlineError, check_deadline
from services.claims.domain.model import Receipt, digest, new_reference


class IntakeRefusedError(Exception):
    def __init__(self, code: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


async def receive_claim(unit: Unit, actor: Actor, content: ClaimContent, now: datetime) -> Receipt:
    """Store a new FSE and emit ClaimReceived; the same submission id gives back the same receipt."""
    if actor.role not in {Role.PRACTITIONER, Role.ASSISTANT} or not actor.practitioner_id:
        raise IntakeRefusedError("FORBIDDEN", "role: only a practitioner or an assistant transmits FSEs", 403)
    practitioner_id = actor.practitioner_id
    repository = ClaimRepository(unit.session)
    received_digest = digest(content)
    existing = await repository.by_submission(practitioner_id, content.submission_id)
    if existing is not None:
        if existing.digest != received_digest:
            raise IntakeRefusedError(
                "SUBMISSION_ID_REUSED", "submission_id: already used for a different FSE", 409
            )
        return Receipt(existing.reference, existing.received_at, existing.digest, existing.submission_id)
    try:
        check_deadline(content, now)
    except DeadlineError as error:
        raise IntakeRefusedError(error.code, str(error)) from None
    receipt = Receipt(
        reference=new_reference(now.astimezone(MONACO)),
        received_at=now,
        digest=received_digest,
        submission_id=content.submission_id,
    )
    await repository.add(receipt, practitioner_id, actor.user_id, content)
    unit.emit(
        ClaimReceivedV1(
            reference=receipt.reference,
            received_at=now,
            practitioner_id=practitioner_id,
            entered_by=actor.user_id,
            digest=receipt.digest,
            claim=content,
        ),
        subject=receipt.reference,
    )
    return receipt
