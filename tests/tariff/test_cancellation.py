"""ClaimCancelled on the real service: a claim cancelled before its verdict is read is never priced, one
cancelled after it is priced once (nothing to undo), and a redelivered or unreadable cancellation
changes nothing else. ClaimCancelled and EligibilityChecked come on two topics, so both orders occur."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts import topics
from contracts.claims import ClaimCancelledV1
from contracts.envelope import Envelope
from runtime import db
from services.tariff.adapters.orm import cancelled_claims, messaging
from tests.eligibility.conftest import publish as publish_envelopes
from tests.helpers import eventually, read_to_end
from tests.tariff.conftest import Service
from tests.tariff.examples_table import EXAMPLES
from tests.tariff.test_service import priced_events, publish

pytestmark = pytest.mark.broker
PRICED = next(e for e in EXAMPLES if not isinstance(e.expected, str))


def reference() -> str:
    return f"FSE-20260302-{uuid.uuid4().hex[:10].upper()}"


def cancellation(ref: str) -> Envelope:
    event = ClaimCancelledV1(reference=ref, practitioner_id="dr-a", cancelled_at=datetime.now(UTC))
    return Envelope.wrap(event, source="services/claims", subject=ref)


@pytest.fixture
async def engine(service: Service) -> AsyncIterator[AsyncEngine]:
    engine = db.make_engine(service.settings.resolved_database_url())
    yield engine
    await engine.dispose()


async def reaches(engine: AsyncEngine, query: Select[Any], count: int) -> bool:
    async with engine.connect() as connection:
        return bool((await connection.execute(query)).scalar_one() == count)


async def under(bootstrap: str, topic: str, key: str) -> list[Any]:
    return [r for r in await read_to_end(bootstrap, topic) if r.key == key.encode()]


async def test_a_claim_cancelled_before_its_verdict_is_not_priced_and_one_after_is_priced_once(
    service: Service, engine: AsyncEngine, kafka_bootstrap: str
) -> None:
    settings = service.settings
    first, late = reference(), reference()
    cancel = cancellation(first)
    unreadable = cancel.model_copy(update={"id": uuid.uuid4(), "data": {"reference": first}})
    # the same cancellation twice (a redelivery), then one that cannot be read
    await publish_envelopes(
        kafka_bootstrap, settings.claims_topic, [(first, cancel)] * 2 + [(first, unreadable)]
    )
    cancelled = select(func.count()).select_from(cancelled_claims)
    # one consumer group reads both topics: one inbox
    inbox = select(func.count()).where(messaging.inbox.c.consumer == settings.consumer_group)
    outbox = select(func.count()).select_from(messaging.outbox)
    dead_letters = topics.dead_letter(settings.claims_topic)
    await eventually(lambda: under(kafka_bootstrap, dead_letters, first), timeout=60)
    assert await eventually(lambda: reaches(engine, inbox, 1), timeout=60)
    assert await reaches(engine, cancelled, 1)

    # cancellation first: the verdict is consumed and nothing is priced; the other claim is priced
    await publish(kafka_bootstrap, settings.eligibility_topic, {first: PRICED, late: PRICED})
    assert (await priced_events(kafka_bootstrap, {late}))[late]["reference"] == late
    await eventually(lambda: reaches(engine, inbox, 3), timeout=60)
    await eventually(lambda: reaches(engine, outbox, 0), timeout=60)
    assert await under(kafka_bootstrap, topics.TARIFF, first) == []

    # cancellation after the pricing: recorded, and nothing else happens
    await publish_envelopes(kafka_bootstrap, settings.claims_topic, [(late, cancellation(late))])
    await eventually(lambda: reaches(engine, cancelled, 2), timeout=60)
    assert await reaches(engine, inbox, 4)
    assert len(await under(kafka_bootstrap, topics.TARIFF, late)) == 1
    assert len(await under(kafka_bootstrap, dead_letters, late)) == 0
    assert len(await under(kafka_bootstrap, dead_letters, first)) == 1  # the unreadable one alone
