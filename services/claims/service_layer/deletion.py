"""Deleting an FSE of the day: it becomes cancelled (a final state, so later verdicts are ignored) and
ClaimCancelled tells the other services."""

from __future__ import annotations

from datetime import datetime

from contracts.claims import ClaimCancelledV1
from runtime.messaging.uow import Unit
from runtime.security import Actor
from services.claims.adapters.repository import ClaimRepository
from services.claims.domain.deletion import why_not_deletable
from services.claims.domain.model import Status
from services.claims.service_layer.errors import RefusedError
from services.claims.service_layer.intake import acting_for


class DeletionRefusedError(RefusedError):
    pass


async def delete_claim(unit: Unit, actor: Actor, reference: str, now: datetime) -> None:
    practitioner_id = acting_for(actor)
    repository = ClaimRepository.of(unit)
    claim = await repository.get(reference)
    if claim is None or claim.practitioner_id != practitioner_id:
        raise DeletionRefusedError("NOT_FOUND", "reference: no such FSE for this practitioner", 404)
    refusal = why_not_deletable(claim.received_at, Status(claim.status), now)
    if refusal is not None:
        raise DeletionRefusedError(*refusal, status=409)
    await repository.set_status(claim, Status.CANCELLED, cancelled_by=actor.user_id, decided_at=now)
    unit.emit(
        ClaimCancelledV1(reference=reference, practitioner_id=practitioner_id, cancelled_at=now),
        subject=reference,
    )
