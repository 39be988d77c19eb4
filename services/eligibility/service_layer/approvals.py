"""Prior approvals (entente préalable): a practitioner's request, the fund's decision, the status."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.common import Fund, Nomenclature
from contracts.eligibility import PriorApprovalRequestedV1
from contracts.rights import Decision, PriorApprovalDecidedV1
from runtime.messaging.consumer import MessageRejectedError
from runtime.messaging.uow import Unit
from runtime.security import Actor
from services.eligibility.adapters.approvals import ApprovalRepository
from services.eligibility.domain.approvals import ApprovalStatus

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference(now: datetime) -> str:
    return f"EP-{now:%Y%m%d}-" + "".join(secrets.choice(ALPHABET) for _ in range(8))


async def request_approval(
    unit: Unit,
    actor: Actor,
    insured: tuple[Fund, str, int],
    act: tuple[Nomenclature, str],
    note: str | None,
    now: datetime,
) -> str:
    """Record a pending request for the insured's beneficiary (already identified by the caller with
    the code FSE) and tell the back office."""
    fund, matricule, rank = insured
    reference = new_reference(now)
    await ApprovalRepository(unit.session).add(
        reference=reference,
        fund=fund.value,
        matricule=matricule,
        rank=rank,
        nomenclature=act[0].value,
        act_code=act[1],
        practitioner_id=actor.practitioner_id,
        status=ApprovalStatus.PENDING.value,
        requested_at=now,
    )
    unit.emit(
        PriorApprovalRequestedV1(
            reference=reference,
            fund=fund,
            matricule=matricule,
            beneficiary_rank=rank,
            nomenclature=act[0],
            act_code=act[1],
            practitioner_id=actor.practitioner_id or actor.user_id,
            entered_by=actor.user_id,
            requested_at=now,
            note=note,
        ),
        subject=reference,
    )
    return reference


async def record_decision(session: AsyncConnection, event: PriorApprovalDecidedV1, newest: bool) -> None:
    """Apply the fund's decision if it is the newest about this approval. An approval requested outside
    this service (on paper) is registered from the act the decision names; a decision that arrives before
    the one naming the act is kept, and matches no claim until the act is known."""
    repository = ApprovalRepository(session)
    status = ApprovalStatus.GRANTED if event.decision is Decision.GRANTED else ApprovalStatus.REFUSED
    known = await repository.get(event.reference)
    if known is not None and (known["fund"], known["matricule"]) != (event.fund.value, event.matricule):
        raise MessageRejectedError("reference: belongs to another insured")
    if known is None:
        await repository.add(
            reference=event.reference,
            fund=event.fund.value,
            matricule=event.matricule,
            rank=-1 if event.rank is None else event.rank,
            nomenclature=event.nomenclature.value if event.nomenclature else "",
            act_code=event.act_code or "",
            status=status.value,
            requested_at=event.decided_at,
            decided_at=event.decided_at,
            valid_until=event.valid_until,
        )
        return
    if known["act_code"] == "" and event.rank is not None and event.nomenclature and event.act_code:
        await repository.complete(event.reference, event.rank, event.nomenclature.value, event.act_code)
    if newest:
        await repository.decide(event.reference, status, event.decided_at, event.valid_until)


async def status_for(session: AsyncConnection, reference: str, actor: Actor) -> dict[str, object] | None:
    """An approval as its requesting practitioner sees it; none for anybody else."""
    approval = await ApprovalRepository(session).get(reference)
    if approval is None or approval["practitioner_id"] != actor.practitioner_id:
        return None
    return approval
