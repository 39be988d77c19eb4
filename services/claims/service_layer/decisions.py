"""Deciding a claim from the eligibility and pricing verdicts. Final states never change again, so
late or repeated verdicts are ignored."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from contracts.claims import ClaimAcceptedV1, ClaimRejectedV1
from contracts.eligibility import EligibilityCheckedV1
from contracts.envelope import Envelope
from contracts.reasons import describe
from contracts.tariff import ClaimPricedV1, ClaimPricingRejectedV1
from runtime.messaging.consumer import MessageRejectedError
from runtime.messaging.uow import Unit
from services.claims.adapters.repository import ClaimRepository
from services.claims.domain.model import Parties, Status, who_to_notify


async def _open_claim(repository: ClaimRepository, reference: str, *, content: bool = True) -> Any | None:
    claim = await (repository.get(reference) if content else repository.state(reference))
    if claim is None:  # the reference is not repeated: a dead letter never quotes its input
        raise MessageRejectedError("reference: names no claim")
    return None if Status(claim.status).final else claim


async def prefetch_verdicts(unit: Unit, events: Sequence[EligibilityCheckedV1]) -> None:
    """The claims of a run of eligibility verdicts: the state of those found eligible, the whole claim
    of the others (a rejection names the insured)."""
    repository = ClaimRepository.of(unit)
    await repository.prefetch([e.reference for e in events if e.eligible], content=False)
    await repository.prefetch([e.reference for e in events if not e.eligible], content=True)


async def prefetch_priced(unit: Unit, events: Sequence[ClaimPricedV1 | ClaimPricingRejectedV1]) -> None:
    await ClaimRepository.of(unit).prefetch([e.reference for e in events], content=True)


async def on_eligibility_checked(unit: Unit, envelope: Envelope, event: EligibilityCheckedV1) -> None:
    repository = ClaimRepository.of(unit)
    claim = await _open_claim(repository, event.reference, content=not event.eligible)
    if claim is None:
        return
    if event.eligible:
        await repository.set_status(claim, Status.ELIGIBLE)
    else:
        code = event.reason_code or "RIGHTS_CLOSED"
        await reject(unit, repository, claim, code, event.reason or describe(code), "eligibility", envelope)


async def on_claim_priced(unit: Unit, envelope: Envelope, event: ClaimPricedV1) -> None:
    repository = ClaimRepository.of(unit)
    claim = await _open_claim(repository, event.reference)
    if claim is None:
        return
    content = Parties.model_validate(claim.content)
    now = datetime.now(UTC)
    amounts = {
        "total_fee": event.total_fee,
        "total_reimbursement": event.total_reimbursement,
        "paid_to_professional": event.paid_to_professional,
        "patient_share": event.patient_share,
    }
    await repository.decide(claim, Status.ACCEPTED, now, amounts=amounts)
    unit.emit(
        ClaimAcceptedV1(
            reference=event.reference,
            practitioner_id=claim.practitioner_id,
            fund=content.fund,
            matricule=content.matricule,
            beneficiary_rank=content.beneficiary_rank,
            decided_at=now,
            **amounts,
        ),
        subject=event.reference,
        cause=envelope,
    )


async def on_pricing_rejected(unit: Unit, envelope: Envelope, event: ClaimPricingRejectedV1) -> None:
    repository = ClaimRepository.of(unit)
    claim = await _open_claim(repository, event.reference)
    if claim is not None:
        await reject(unit, repository, claim, event.reason_code, event.reason, "tariff", envelope)


async def reject(
    unit: Unit,
    repository: ClaimRepository,
    claim: Any,
    code: str,
    reason: str,
    stage: Literal["eligibility", "tariff", "intake"],
    cause: Envelope | None,
) -> None:
    content = Parties.model_validate(claim.content)
    now = datetime.now(UTC)
    await repository.decide(claim, Status.REJECTED, now, reason_code=code, reason=reason)
    unit.emit(
        ClaimRejectedV1(
            reference=claim.reference,
            practitioner_id=claim.practitioner_id,
            fund=content.fund,
            matricule=content.matricule,
            beneficiary_rank=content.beneficiary_rank,
            decided_at=now,
            reason_code=code,
            reason=reason,
            notify=who_to_notify(content),
            stage=stage,
        ),
        subject=claim.reference,
        cause=cause,
    )
