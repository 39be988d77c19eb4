"""The claim step: decide the rights of a received claim's beneficiary and publish the verdict, unless
the claim was cancelled first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from contracts.claims import ClaimCancelledV1, ClaimReceivedV1
from contracts.eligibility import EligibilityCheckedV1
from contracts.envelope import Envelope
from contracts.reasons import describe
from runtime.messaging.closed import ClosedSubjects
from runtime.messaging.uow import Unit
from services.eligibility.adapters.orm import cancelled_claims
from services.eligibility.adapters.repository import Key, RegistryRepository, code_fse_digest
from services.eligibility.domain.rights import Household, check

cancellations = ClosedSubjects(cancelled_claims)


@dataclass(frozen=True)
class Households:
    """The households of a run of received claims, read in five statements for the whole run."""

    wanted: frozenset[Key]
    found: dict[Key, Household]


async def prefetch_received(unit: Unit, events: Sequence[ClaimReceivedV1]) -> None:
    await cancellations.prefetch(unit, (event.reference for event in events))
    wanted = frozenset((event.claim.fund.value, event.claim.matricule) for event in events)
    unit.prefetched[Households] = Households(
        wanted, await RegistryRepository(unit.session).households(wanted)
    )


async def on_claim_received(unit: Unit, envelope: Envelope, event: ClaimReceivedV1) -> None:
    if await cancellations.is_closed(unit, event.reference):
        return  # deleted by the practitioner before it was checked: no verdict is wanted
    claim = event.claim
    key = (claim.fund.value, claim.matricule)
    households: Households | None = unit.prefetched.get(Households)
    if households is not None and key in households.wanted:
        household = households.found.get(key)
    else:  # not called by a consumer
        household = await RegistryRepository(unit.session).household(claim.fund, claim.matricule)
    verdict = check(
        household,
        code_fse_digest(claim.fund, claim.matricule, claim.code_fse),
        event.received_at,
        claim.beneficiary_rank,
        claim.acts,
    )
    unit.emit(
        EligibilityCheckedV1(
            reference=event.reference,
            practitioner_id=event.practitioner_id,
            eligible=verdict.eligible,
            reason_code=verdict.reason_code,
            reason=describe(verdict.reason_code) if verdict.reason_code else None,
            card_colour=verdict.card_colour,
            etm=verdict.etm,
            hnp_allowed=verdict.hnp_allowed,
            overrun_allowed=verdict.overrun_allowed,
            claim=claim,
        ),
        subject=event.reference,
        cause=envelope,
    )


async def on_claim_cancelled(unit: Unit, _envelope: Envelope, event: ClaimCancelledV1) -> None:
    """Both events are keyed by the reference on fse.claims, so the receipt usually comes first: when
    it was checked in this same batch its verdict is withdrawn before it is ever published; when it was
    checked earlier, the claims service ignores the late verdict."""
    await cancellations.close(unit, event.reference, event.cancelled_at, datetime.now(UTC))
    unit.withdraw(event.reference, EligibilityCheckedV1)
