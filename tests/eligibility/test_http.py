"""The portal's lookup and prior approvals, and the operator's import, through the HTTP API on both
databases: roles, constant answers, throttling of code guessing, the audit trail."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from contracts import topics
from contracts.common import CardColour, Fund
from contracts.rights import Decision, MemberFacts, PriorApprovalDecidedV1, Relationship
from runtime.messaging.uow import UnitOfWork
from runtime.security import Role
from services.eligibility.adapters.orm import lookup_audit
from services.eligibility.domain.records import HouseholdRecord, MemberRecord
from services.eligibility.domain.rights import Period
from services.eligibility.service_layer import feed
from services.eligibility.service_layer.loading import load_household
from tests.eligibility.conftest import bearer, published, wrap

pytestmark = pytest.mark.broker

CARD = {"fund": "CAMTI", "matricule": "250001", "code_fse": "PQR789"}


async def seed(uow: UnitOfWork, matricule: str = "250001", code: str = "PQR789") -> None:
    record = HouseholdRecord(Fund.CAMTI, matricule, code, colours={datetime.now(UTC).year: CardColour.ROSE})
    people = [
        (0, "Marie", date(1975, 5, 1), Relationship.INSURED, [Period(date(2020, 1, 1), None, "ALD")]),
        (1, "Tom", date(2012, 1, 2), Relationship.CHILD, []),
    ]
    for rank, first, birth, relationship, etm in people:
        facts = MemberFacts(
            rank=rank, last_name="BOERI", first_name=first, birth_date=birth, relationship=relationship
        )
        record.members[rank] = MemberRecord(facts, [Period(date(2020, 1, 1), None)], etm)
    async with uow() as unit:
        await load_household(unit.session, record, datetime.now(UTC), timedelta(days=30))


async def test_a_practitioner_or_assistant_sees_the_household(
    client: httpx.AsyncClient, uow: UnitOfWork, data_dir: Path
) -> None:
    await seed(uow)
    for role in (Role.PRACTITIONER, Role.ASSISTANT):
        response = await client.post("/lookup", json=CARD, headers=bearer(data_dir, role))
        assert response.status_code == 200, response.text
    body = response.json()
    assert body["card_colour"] == "rose"
    assert (body["hnp_allowed"], body["overrun_allowed"]) == (False, True)
    marie, tom = body["members"]
    assert (marie["first_name"], marie["etm_scopes"], marie["rights_open"]) == ("Marie", ["ALD"], True)
    assert tom["age"] == datetime.now(UTC).year - 2012 - (
        datetime.now(UTC).date() < date(datetime.now(UTC).year, 1, 2)
    )
    assert body["open_approvals"] == []


async def test_only_portal_roles_may_look_up(
    client: httpx.AsyncClient, uow: UnitOfWork, data_dir: Path
) -> None:
    await seed(uow)
    assert (await client.post("/lookup", json=CARD)).status_code == 401
    for role in (Role.OPERATOR, Role.MEDICAL_ADVISER):
        assert (await client.post("/lookup", json=CARD, headers=bearer(data_dir, role))).status_code == 403


async def test_wrong_code_and_unknown_matricule_get_the_same_answer(
    client: httpx.AsyncClient, uow: UnitOfWork, data_dir: Path
) -> None:
    await seed(uow)
    doctor = bearer(data_dir, Role.PRACTITIONER)
    wrong = await client.post("/lookup", json={**CARD, "code_fse": "AAA111"}, headers=doctor)
    unknown = await client.post("/lookup", json={**CARD, "matricule": "259999"}, headers=doctor)
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    assert "AAA111" not in wrong.text


async def test_guessing_codes_is_throttled_per_matricule(
    client: httpx.AsyncClient, uow: UnitOfWork, data_dir: Path
) -> None:
    """5 failures lock the matricule for every caller, even with the right code; others still work."""
    await seed(uow)
    await seed(uow, "250002", "XYZ123")
    guessers = [bearer(data_dir, Role.PRACTITIONER, f"dr.guess{n}", f"P-{n}") for n in range(5)]
    for n, headers in enumerate(guessers):
        response = await client.post("/lookup", json={**CARD, "code_fse": f"GUESS{n}"}, headers=headers)
        assert response.status_code == 404
    honest = bearer(data_dir, Role.PRACTITIONER, "dr.honest", "P-9")
    locked = await client.post("/lookup", json=CARD, headers=honest)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    other = {"fund": "CAMTI", "matricule": "250002", "code_fse": "XYZ123"}
    assert (await client.post("/lookup", json=other, headers=honest)).status_code == 200


async def test_concurrent_guesses_are_all_counted(
    client: httpx.AsyncClient, uow: UnitOfWork, data_dir: Path
) -> None:
    """Thirty guesses at once on one matricule: at most five are checked, every one is audited."""
    await seed(uow)
    callers = [bearer(data_dir, Role.PRACTITIONER, f"dr.swarm{n}", f"P-{n}") for n in range(30)]
    responses = await asyncio.gather(
        *(
            client.post("/lookup", json={**CARD, "code_fse": f"SWARM{n:02d}"}, headers=h)
            for n, h in enumerate(callers)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [404] * 5 + [429] * 25
    async with uow() as unit:
        outcomes = (await unit.session.execute(select(lookup_audit.c.outcome))).scalars().all()
    assert sorted(outcomes) == ["refused"] * 5 + ["throttled"] * 25


async def test_guessing_codes_is_throttled_per_caller(
    client: httpx.AsyncClient, uow: UnitOfWork, data_dir: Path
) -> None:
    """20 failures across matricules lock the caller, even on a right code; other callers still work."""
    await seed(uow)
    guesser = bearer(data_dir, Role.ASSISTANT, "as.guess", "P-1")
    for n in range(20):
        card = {"fund": "CAMTI", "matricule": f"26{n:04d}", "code_fse": "AAA111"}
        assert (await client.post("/lookup", json=card, headers=guesser)).status_code == 404
    assert (await client.post("/lookup", json=CARD, headers=guesser)).status_code == 429
    other = bearer(data_dir, Role.PRACTITIONER, "dr.other", "P-2")
    assert (await client.post("/lookup", json=CARD, headers=other)).status_code == 200


async def test_every_lookup_is_audited(client: httpx.AsyncClient, uow: UnitOfWork, data_dir: Path) -> None:
    await seed(uow)
    doctor = bearer(data_dir, Role.PRACTITIONER, "dr.audit", "P-7")
    await client.post("/lookup", json=CARD, headers=doctor)
    await client.post("/lookup", json={**CARD, "code_fse": "BAD111"}, headers=doctor)
    async with uow() as unit:
        rows = (await unit.session.execute(select(lookup_audit).order_by(lookup_audit.c.id))).all()
    assert [(r.user_id, r.role, r.practitioner_id, r.matricule, r.outcome) for r in rows] == [
        ("dr.audit", "practitioner", "P-7", "250001", "found"),
        ("dr.audit", "practitioner", "P-7", "250001", "refused"),
    ]
    assert all(r.at.tzinfo is not None for r in rows)


async def test_prior_approval_requested_decided_and_checked(
    client: httpx.AsyncClient, uow: UnitOfWork, data_dir: Path, kafka_bootstrap: str
) -> None:
    await seed(uow)
    doctor = bearer(data_dir, Role.PRACTITIONER, "dr.ortho", "P-3")
    ask = {**CARD, "beneficiary_rank": 1, "nomenclature": "NGAP", "act_code": "TO"}
    created = await client.post("/approvals", json=ask, headers=doctor)
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    assert (
        await client.post("/approvals", json={**ask, "beneficiary_rank": 7}, headers=doctor)
    ).status_code == 422
    requested = (await published(kafka_bootstrap, topics.ELIGIBILITY, reference)).data
    assert (requested["reference"], requested["act_code"], requested["practitioner_id"]) == (
        reference,
        "TO",
        "P-3",
    )

    status = await client.post("/approvals/status", json={"reference": reference}, headers=doctor)
    assert status.json()["status"] == "pending"
    other = bearer(data_dir, Role.PRACTITIONER, "dr.other", "P-4")
    assert (
        await client.post("/approvals/status", json={"reference": reference}, headers=other)
    ).status_code == 404

    decision = PriorApprovalDecidedV1(
        fund=Fund.CAMTI,
        matricule="250001",
        sequence=1,
        reference=reference,
        decision=Decision.GRANTED,
        decided_at=datetime.now(UTC),
    )
    async with uow() as unit:
        await feed.handlers(timedelta(days=30))[PriorApprovalDecidedV1](
            unit, wrap(decision, "CAMTI:250001"), decision
        )
    status = await client.post("/approvals/status", json={"reference": reference}, headers=doctor)
    assert status.json()["status"] == "granted"
    household = (await client.post("/lookup", json=CARD, headers=doctor)).json()
    assert [(a["reference"], a["status"], a["rank"]) for a in household["open_approvals"]] == [
        (reference, "granted", 1)
    ]


async def test_the_operator_imports_and_gets_every_bad_row(
    client: httpx.AsyncClient, uow: UnitOfWork, data_dir: Path
) -> None:
    text = "\n".join(
        [
            "fund,matricule,code_fse,card_year,card_colour,rank,last_name,first_name,birth_date,relationship,"
            "rights_start,rights_end,etm_scope,etm_start,etm_end,complementary_insurer_email,forward_statements",
            "CAMTI,270001,IMP001,2026,bulle,0,LORENZI,Ada,1960-01-01,insured,2020-01-01,,,,,cm@mutuelle.example,true",
            "CAMTI,270001,IMP001,2026,bulle,1,LORENZI,Bo,1962-01-01,spouse,2020-01-01,,,,,,",
            "CAMTI,270002,IMP002,2026,bulle,0,LORENZI,Cy,1962-13-01,insured,2020-01-01,,,,,,",
        ]
    )
    operator = {**bearer(data_dir, Role.OPERATOR, "ops", None), "content-type": "text/csv"}
    doctor = {**bearer(data_dir, Role.PRACTITIONER), "content-type": "text/csv"}
    assert (await client.post("/imports", content=text, headers=doctor)).status_code == 403
    response = await client.post("/imports", content=text, headers=operator)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["households"], report["members"]) == (1, 2)
    assert report["errors"] == [{"line": 4, "field": "birth_date", "reason": report["errors"][0]["reason"]}]
    again = await client.post("/imports", content=text, headers=operator)
    assert again.json()["members"] == 2
    card = {"fund": "CAMTI", "matricule": "270001", "code_fse": "IMP001"}
    found = await client.post("/lookup", json=card, headers=bearer(data_dir, Role.PRACTITIONER))
    assert [m["first_name"] for m in found.json()["members"]] == ["Ada", "Bo"]
    bad_format = await client.post(
        "/imports", content="x", headers={**operator, "content-type": "text/plain"}
    )
    assert bad_format.status_code == 422
