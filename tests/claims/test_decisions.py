"""Verdicts decided a run at a time: the claims of a run are read in one statement, and a claim decided
within the run is read again, so that a repeated verdict changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts.common import ClaimContent
from contracts.eligibility import EligibilityCheckedV1
from contracts.envelope import Envelope, Payload
from contracts.tariff import ClaimPricedV1
from runtime.messaging.consumer import MessageRejectedError
from services.claims.adapters.orm import status_changes
from services.claims.service_layer import decisions
from tests.claims.conftest import Claims, claim_body


async def received(claims: Claims, count: int) -> list[str]:
    references = []
    for _ in range(count):
        response = await claims.client.post("/claims", json=claim_body(), headers=claims.headers())
        references.append(response.json()["reference"])
    return references


def priced(reference: str) -> ClaimPricedV1:
    fee = Decimal("30.00")
    return ClaimPricedV1(
        reference=reference,
        practitioner_id="prt-1",
        tariff_version="test",
        lines=[],
        total_base=fee,
        total_fee=fee,
        total_reimbursement=Decimal("24.00"),
        patient_share=Decimal("6.00"),
        paid_to_professional=Decimal("24.00"),
    )


def wrap(payload: Payload, reference: str) -> Envelope:
    return Envelope.wrap(payload, source="test", subject=reference)


async def changes(claims: Claims, reference: str) -> list[str]:
    query = select(status_changes.c.status).where(status_changes.c.reference == reference)
    async with claims.runtime.sessions() as session:
        return list((await session.execute(query.order_by(status_changes.c.id))).scalars())


async def test_a_run_of_verdicts_decides_each_claim_once(claims: Claims) -> None:
    eligible, refused, twice = await received(claims, 3)
    content = ClaimContent.model_validate(claim_body())
    verdicts = [
        EligibilityCheckedV1(reference=eligible, practitioner_id="prt-1", eligible=True, claim=content),
        EligibilityCheckedV1(
            reference=refused,
            practitioner_id="prt-1",
            eligible=False,
            reason_code="RIGHTS_CLOSED",
            claim=content,
        ),
        EligibilityCheckedV1(reference=twice, practitioner_id="prt-1", eligible=True, claim=content),
    ]
    prices = [priced(eligible), priced(twice), priced(twice)]  # the last one repeats (a new event id)

    async with claims.runtime.uow() as unit:
        await decisions.prefetch_verdicts(unit, verdicts)
        for verdict in verdicts:
            await decisions.on_eligibility_checked(unit, wrap(verdict, verdict.reference), verdict)
        unit.prefetched.clear()  # as the consumer does before each run
        await decisions.prefetch_priced(unit, prices)
        for price in prices:
            await decisions.on_claim_priced(unit, wrap(price, price.reference), price)

    accepted = [event["data"]["reference"] for event in await claims.outbox("ClaimAccepted")]
    rejected = [event["data"]["reference"] for event in await claims.outbox("ClaimRejected")]
    assert sorted(accepted) == sorted([eligible, twice])
    assert rejected == [refused]
    assert await changes(claims, twice) == ["received", "eligible", "accepted"]
    assert await changes(claims, refused) == ["received", "rejected"]


async def test_a_verdict_on_no_known_claim_is_refused_without_repeating_its_reference(claims: Claims) -> None:
    unknown = priced("FSE-20261205-ZZZZZZZZZZ")
    with pytest.raises(MessageRejectedError) as refused:
        async with claims.runtime.uow() as unit:
            await decisions.on_claim_priced(unit, wrap(unknown, unknown.reference), unknown)
    assert str(refused.value) == "reference: names no claim"
    assert await claims.outbox("ClaimAccepted") == []


async def test_a_decision_names_the_claims_insured_and_whom_to_notify(claims: Claims) -> None:
    """A decision reads the insured and HNP back from the stored, encrypted content, not from the verdict."""
    bodies = [
        claim_body(matricule="200002", beneficiary_rank=2, hnp=True),
        claim_body(matricule="300003", beneficiary_rank=1),
        claim_body(fund="CAMTI", matricule="400004"),
    ]
    references = []
    for body in bodies:
        response = await claims.client.post("/claims", json=body, headers=claims.headers())
        references.append(response.json()["reference"])
    hnp, insured, accepted = references
    content = ClaimContent.model_validate(claim_body())  # the verdicts' copy names someone else
    refusals = [
        EligibilityCheckedV1(
            reference=reference,
            practitioner_id="prt-1",
            eligible=False,
            reason_code="RIGHTS_CLOSED",
            claim=content,
        )
        for reference in (hnp, insured)
    ]
    async with claims.runtime.uow() as unit:
        await decisions.prefetch_verdicts(unit, refusals)
        for verdict in refusals:
            await decisions.on_eligibility_checked(unit, wrap(verdict, verdict.reference), verdict)
        unit.prefetched.clear()
        await decisions.prefetch_priced(unit, [priced(accepted)])
        await decisions.on_claim_priced(unit, wrap(priced(accepted), accepted), priced(accepted))

    named = ("fund", "matricule", "beneficiary_rank")
    rejected = {e["data"]["reference"]: e["data"] for e in await claims.outbox("ClaimRejected")}
    assert {ref: tuple(data[k] for k in (*named, "notify")) for ref, data in rejected.items()} == {
        hnp: ("CCSS", "200002", 2, "professional"),
        insured: ("CCSS", "300003", 1, "insured"),
    }
    (decided,) = [e["data"] for e in await claims.outbox("ClaimAccepted")]
    assert (decided["reference"], *(decided[k] for k in named)) == (accepted, "CAMTI", "400004", 0)
