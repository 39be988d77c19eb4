"""The back office's rights feed on the real broker and both databases: idempotent, ordered per insured,
bad messages dead-lettered with the field and the reason."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.common import CardColour, Fund
from contracts.envelope import Envelope
from contracts.rights import (
    CardColourSetV1,
    CodeFseIssuedV1,
    Decision,
    EtmEndedV1,
    EtmGrantedV1,
    HouseholdChangedV1,
    InsuredContactChangedV1,
    MemberFacts,
    PriorApprovalDecidedV1,
    Relationship,
    RightsClosedV1,
    RightsOpenedV1,
    subject,
)
from runtime.messaging.consumer import Subscription
from runtime.messaging.uow import UnitOfWork
from services.eligibility.adapters.orm import households
from services.eligibility.adapters.repository import RegistryRepository, code_fse_digest
from services.eligibility.domain.rights import Household, Period
from services.eligibility.service_layer import feed
from tests.eligibility.conftest import consuming, publish, wrap
from tests.helpers import eventually, read_topic

pytestmark = pytest.mark.broker

GRACE = timedelta(days=30)
T0 = datetime(2026, 1, 5, 8, tzinfo=UTC)
KEY = subject(Fund.CCSS, "130001")
INSURED = {"fund": Fund.CCSS, "matricule": "130001"}
ANNA = MemberFacts(
    rank=0,
    last_name="NOTARI",
    first_name="Anna",
    birth_date=date(1970, 2, 3),
    relationship=Relationship.INSURED,
)
LEO = MemberFacts(
    rank=1, last_name="NOTARI", first_name="Leo", birth_date=date(2015, 5, 6), relationship=Relationship.CHILD
)


def history(matricule: str = "130001") -> list[Envelope]:
    """One insured's life in the back office, in the order it happened."""
    INSURED = {"fund": Fund.CCSS, "matricule": matricule}  # noqa: N806
    facts = [
        HouseholdChangedV1(**INSURED, sequence=1, members=[ANNA]),
        RightsOpenedV1(**INSURED, sequence=2, rank=0, start=date(2020, 1, 1)),
        CardColourSetV1(**INSURED, sequence=3, year=2026, colour=CardColour.VERTE),
        CodeFseIssuedV1(**INSURED, sequence=4, code_fse="OLD111", issued_at=T0),
        HouseholdChangedV1(**INSURED, sequence=5, members=[ANNA, LEO]),
        RightsOpenedV1(**INSURED, sequence=6, rank=1, start=date(2026, 1, 1)),
        EtmGrantedV1(**INSURED, sequence=7, rank=0, scope="ALD", start=date(2026, 1, 1)),
        CardColourSetV1(**INSURED, sequence=8, year=2026, colour=CardColour.BULLE),
        RightsClosedV1(**INSURED, sequence=9, rank=1, start=date(2026, 1, 1), end=date(2026, 3, 31)),
        CodeFseIssuedV1(**INSURED, sequence=10, code_fse="NEW222", issued_at=T0 + timedelta(days=2)),
        EtmEndedV1(
            **INSURED, sequence=11, rank=0, scope="ALD", start=date(2026, 1, 1), end=date(2026, 6, 30)
        ),
        PriorApprovalDecidedV1(
            **INSURED,
            sequence=12,
            reference=f"EP-{matricule}",
            decision=Decision.GRANTED,
            decided_at=T0,
            rank=1,
            nomenclature="NGAP",
            act_code="TO",
        ),
        PriorApprovalDecidedV1(
            **INSURED, sequence=13, reference=f"EP-{matricule}", decision=Decision.REFUSED, decided_at=T0
        ),
    ]
    return [wrap(fact, subject(Fund.CCSS, matricule)) for fact in facts]


async def registry(uow: UnitOfWork) -> Household | None:
    async with uow() as unit:
        return await RegistryRepository(unit.session).household(Fund.CCSS, "130001")


async def assert_final_state(uow: UnitOfWork, later_years: int = 0) -> None:
    household = await registry(uow)
    assert household is not None
    assert set(household.members) == {0, 1}
    assert household.members[0].rights == (Period(date(2020, 1, 1), None),)
    assert household.members[1].rights == (Period(date(2026, 1, 1), date(2026, 3, 31)),)
    assert household.members[0].etm == (Period(date(2026, 1, 1), date(2026, 6, 30), "ALD"),)
    assert household.colours[2026] is CardColour.BULLE
    assert len(household.colours) == 1 + later_years
    new, old = (code_fse_digest(Fund.CCSS, "130001", code) for code in ("NEW222", "OLD111"))
    switched = T0 + timedelta(days=2)
    assert household.code.accepts(new, switched)
    assert household.code.accepts(old, switched + GRACE - timedelta(seconds=1))
    assert not household.code.accepts(old, switched + GRACE)
    assert household.approvals["EP-130001"].status == "refused"


async def test_the_feed_builds_the_registry_in_order(
    uow: UnitOfWork, topic: str, kafka_bootstrap: str
) -> None:
    events = history()
    async with consuming(kafka_bootstrap, Subscription(topic, f"g-{topic}", feed.handlers(GRACE)), uow) as c:
        await publish(kafka_bootstrap, topic, [(KEY, e) for e in events])
        await eventually(lambda: _approval_refused(uow))
    assert c.dead_lettered == 0
    await assert_final_state(uow)


async def test_duplicates_and_out_of_order_redelivery_cannot_corrupt_the_registry(
    uow: UnitOfWork, topic: str, kafka_bootstrap: str
) -> None:
    """Every event delivered in order, then again shuffled, some re-sent under new ids (a back office
    that republishes): the registry ends as in-order delivery leaves it."""
    events = history()
    replays = [Envelope.wrap(_payload(e), source="tests/back-office", subject=KEY) for e in events[:6]]
    redelivered = events + replays + events
    random.Random(7).shuffle(redelivered[len(events) :])
    scrambled = [events[0], *reversed(events[1:]), *redelivered]
    async with consuming(kafka_bootstrap, Subscription(topic, f"g-{topic}", feed.handlers(GRACE)), uow) as c:
        await publish(kafka_bootstrap, topic, [(KEY, e) for e in scrambled])
        await eventually(lambda: _approval_refused(uow))
        marker = wrap(CardColourSetV1(**INSURED, sequence=99, year=2030, colour=CardColour.ROSE), KEY)
        await publish(kafka_bootstrap, topic, [(KEY, marker)])
        await eventually(lambda: _has_colour(uow, 2030))
    assert c.dead_lettered == 0
    await assert_final_state(uow, later_years=1)


async def test_bad_feed_messages_go_to_the_dead_letters_with_field_and_reason(
    uow: UnitOfWork, topic: str, kafka_bootstrap: str
) -> None:
    good = wrap(HouseholdChangedV1(**INSURED, sequence=1, members=[ANNA]), KEY)
    backwards = good.model_copy(
        update={
            "type": "RightsOpened",
            "data": {
                "fund": "CCSS",
                "matricule": "130001",
                "sequence": 2,
                "start": "2026-02-01",
                "end": "2026-01-01",
            },
        }
    )
    twins = good.model_copy(
        update={"data": {**good.data, "sequence": 3, "members": [good.data["members"][0]] * 2}}
    )
    decided = {"reference": "EP-SHARED", "decision": Decision.GRANTED, "decided_at": T0}
    theirs = wrap(
        PriorApprovalDecidedV1(fund=Fund.CAMTI, matricule="230001", sequence=1, **decided), "CAMTI:230001"
    )
    ours = wrap(PriorApprovalDecidedV1(**INSURED, sequence=4, **decided), KEY)
    contact = wrap(
        InsuredContactChangedV1(
            **INSURED,
            complementary_insurer_email="claims@mutuelle.example",
            forward_statements_to_insurer=True,
            changed_at=T0,
        ),
        KEY,
    )
    async with consuming(kafka_bootstrap, Subscription(topic, f"g-{topic}", feed.handlers(GRACE)), uow) as c:
        await publish(
            kafka_bootstrap,
            topic,
            [
                (KEY, good),
                (KEY, backwards),
                (KEY, twins),
                ("CAMTI:230001", theirs),
                (KEY, ours),
                (KEY, b"{not json"),
                (KEY, contact),
            ],
        )
        dead = await read_topic(kafka_bootstrap, f"{topic}.dlt", 4)
        await eventually(lambda: _forwarding(uow))
    assert c.dead_lettered == 4
    messages = sorted(dict(r.headers)["dlt-exception-message"].decode() for r in dead)
    assert any(m.startswith("end: ") or "end: before start" in m for m in messages), messages
    assert any("members: ranks must be distinct" in m for m in messages), messages
    assert "reference: belongs to another insured" in messages
    household = await registry(uow)
    assert household is not None
    assert set(household.members) == {0}


def _payload(envelope: Envelope) -> CardColourSetV1 | HouseholdChangedV1:
    from contracts.registry import model_for, parse

    return parse(envelope, model_for(envelope.type, envelope.schema_version))  # type: ignore[return-value]


async def _approval_refused(uow: UnitOfWork) -> bool:
    household = await registry(uow)
    approval = household.approvals.get("EP-130001") if household else None
    return approval is not None and approval.status == "refused"


async def _has_colour(uow: UnitOfWork, year: int, matricule: str = "130001") -> bool:
    async with uow() as unit:
        household = await RegistryRepository(unit.session).household(Fund.CCSS, matricule)
    return household is not None and year in household.colours


async def _forwarding(uow: UnitOfWork) -> bool:
    async with uow() as unit:
        query = households.select().where(households.c.matricule == "130001")
        row = (await unit.session.execute(query)).one()
    return bool(row.forward_statements) and row.complementary_insurer_email == "claims@mutuelle.example"


async def snapshot(uow: UnitOfWork, matricule: str) -> tuple[object, ...]:
    async with uow() as unit:
        household = await RegistryRepository(unit.session).household(Fund.CCSS, matricule)
    assert household is not None
    codes = [code_fse_digest(Fund.CCSS, matricule, code) for code in ("OLD111", "NEW222")]
    moments = [T0, T0 + timedelta(days=2), T0 + timedelta(days=2) + GRACE]
    return (
        household.members,
        dict(household.colours),
        sorted((a.rank, a.act_code, a.status) for a in household.approvals.values()),
        [household.code.accepts(code, at) for code in codes for at in moments],
    )


COUNTER = iter(range(10_000, 99_999))


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(13)), repeats=st.lists(st.integers(0, 12), max_size=6))
async def test_any_delivery_order_with_repeats_ends_as_in_order(
    uow: UnitOfWork, order: list[int], repeats: list[int]
) -> None:
    """The sequence guard alone (no inbox: every repeat is a republication under a new id)."""
    apply = feed.handlers(GRACE)
    in_order, shuffled = f"13{next(COUNTER)}", f"13{next(COUNTER)}"
    for matricule, indexes in ((in_order, range(13)), (shuffled, [*order, *repeats])):
        events = history(matricule)
        for index in indexes:
            event = _payload(events[index])
            async with uow() as unit:
                await apply[type(event)](unit, events[index], event)
    assert await snapshot(uow, shuffled) == await snapshot(uow, in_order)


async def test_households_read_together_keep_each_its_own_facts(
    uow: UnitOfWork, topic: str, kafka_bootstrap: str
) -> None:
    """Checking a run of claims reads all their households in five statements: each household still
    gets only its own members, periods, colours and approvals; an unknown one is simply absent."""
    other = {"fund": Fund.CCSS, "matricule": "130002"}
    other_key = subject(Fund.CCSS, "130002")
    facts = [
        HouseholdChangedV1(**other, sequence=1, members=[ANNA]),
        RightsOpenedV1(**other, sequence=2, rank=0, start=date(2021, 1, 1)),
        CardColourSetV1(**other, sequence=3, year=2026, colour=CardColour.ROSE),
    ]
    events = [(KEY, e) for e in history()] + [(other_key, wrap(f, other_key)) for f in facts]
    async with consuming(kafka_bootstrap, Subscription(topic, f"g-{topic}", feed.handlers(GRACE)), uow) as c:
        await publish(kafka_bootstrap, topic, events)
        await eventually(lambda: _approval_refused(uow))
        await eventually(lambda: _has_colour(uow, 2026, "130002"))
    assert c.dead_lettered == 0

    async with uow() as unit:
        found = await RegistryRepository(unit.session).households(
            [("CCSS", "130001"), ("CCSS", "130002"), ("CCSS", "999999"), ("CCSS", "130001")]
        )

    assert set(found) == {("CCSS", "130001"), ("CCSS", "130002")}
    second = found[("CCSS", "130002")]
    assert set(second.members) == {0}
    assert second.members[0].rights == (Period(date(2021, 1, 1), None),)
    assert second.members[0].etm == ()
    assert dict(second.colours) == {2026: CardColour.ROSE}
    assert dict(second.approvals) == {}
    assert not second.code.accepts(code_fse_digest(Fund.CCSS, "130002", "NEW222"), T0 + timedelta(days=3))
    first = found[("CCSS", "130001")]
    assert set(first.members) == {0, 1}
    assert first.members[1].rights == (Period(date(2026, 1, 1), date(2026, 3, 31)),)
    assert dict(first.colours) == {2026: CardColour.BULLE}
    assert set(first.approvals) == {"EP-130001"}
    assert first.code.accepts(code_fse_digest(Fund.CCSS, "130001", "NEW222"), T0 + timedelta(days=3))
