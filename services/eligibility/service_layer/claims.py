"""The claim step: decide the rights of a received claim's beneficiary and publish the verdict."""

from __future__ import annotations

from contracts.claims import ClaimReceivedV1
from contracts.eligibility import EligibilityCheckedV1
from contracts.envelope import Envelope
from contracts.reasons import describe
from runtime.messaging.uow import Unit
from services.eligibility.adapters.repository import RegistryRepository, code_fse_digest
from services.eligibility.domain.rights import check


async def on_claim_received(unit: Unit, envelope: Envelope, event: ClaimReceivedV1) -> None:
    claim = event.claim
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
