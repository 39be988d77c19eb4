"""ClaimCancelled on the claim step (real broker, both databases): a claim cancelled before its receipt
is checked gets no verdict, whether the cancellation came first on the partition (several claims
instances publish concurrently) or in the same batch right after the receipt; redelivery changes
nothing, and an unreadable cancellation is dead-lettered while the rest goes on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from contracts.claims import ClaimCancelledV1, ClaimReceivedV1
from contracts.envelope import Envelope
from runtime.messaging.consumer import Subscription
from runtime.messaging.uow import UnitOfWork
from services.eligibility.adapters.orm import cancelled_claims, messaging
from services.eligibility.service_layer.claims import on_claim_cancelled, on_claim_received
from tests.eligibility.conftest import consuming, emitted, publish, wrap
from tests.eligibility.test_claim_step import claim
from tests.helpers import eventually, read_to_end

pytestmark = pytest.mark.broker
RECEIVED = datetime(2026, 3, 2, 9, tzinfo=UTC)


def subscription(topic: str) -> Subscription:
    return Subscription(
        topic, f"g-{topic}", {ClaimReceivedV1: on_claim_received, ClaimCancelledV1: on_claim_cancelled}
    )


def cancellation(event: ClaimReceivedV1) -> Envelope:
    cancelled = ClaimCancelledV1(
        reference=event.reference, practitioner_id=event.practitioner_id, cancelled_at=datetime.now(UTC)
    )
    return wrap(cancelled, event.reference)


async def processed(uow: UnitOfWork, topic: str, *envelopes: Envelope) -> bool:
    """Whether the group's inbox holds every one of `envelopes`."""
    inbox = messaging.inbox
    query = select(inbox.c.event_id).where(
        inbox.c.consumer == f"g-{topic}", inbox.c.event_id.in_([e.id for e in envelopes])
    )
    async with uow() as unit:
        done = set((await unit.session.execute(query)).scalars())
    return len(done) == len(envelopes)


async def verdicts(uow: UnitOfWork) -> list[str]:
    return [v["reference"] for v in await emitted(uow, "EligibilityChecked")]


async def cancelled(uow: UnitOfWork) -> list[str]:
    async with uow() as unit:
        return list((await unit.session.execute(select(cancelled_claims.c.subject))).scalars())


async def test_a_cancellation_read_first_leaves_the_claim_unchecked_and_redelivery_changes_nothing(
    uow: UnitOfWork, topic: str, kafka_bootstrap: str
) -> None:
    dropped, kept = claim(1, RECEIVED), claim(2, RECEIVED)
    receipt, other = wrap(dropped, dropped.reference), wrap(kept, kept.reference)
    cancel = cancellation(dropped)
    unreadable = cancel.model_copy(update={"id": uuid.uuid4(), "data": {"reference": dropped.reference}})
    async with consuming(kafka_bootstrap, subscription(topic), uow):
        key = dropped.reference
        await publish(
            kafka_bootstrap, topic, [(key, cancel), (key, unreadable), (key, cancel), (key, receipt)]
        )
        await publish(kafka_bootstrap, topic, [(kept.reference, other), (key, receipt)])
        await eventually(lambda: processed(uow, topic, cancel, receipt, other), timeout=60)
        dead = await eventually(lambda: read_to_end(kafka_bootstrap, f"{topic}.dlt"), timeout=60)

    assert await verdicts(uow) == [kept.reference]
    assert await cancelled(uow) == [dropped.reference]
    assert [(r.key, dict(r.headers)["dlt-exception-class"]) for r in dead] == [
        (dropped.reference.encode(), b"ValidationError")
    ]


async def test_a_receipt_and_its_cancellation_in_one_batch_give_no_verdict_and_an_earlier_one_stays(
    uow: UnitOfWork, topic: str, kafka_bootstrap: str
) -> None:
    decided, dropped = claim(3, RECEIVED), claim(4, RECEIVED)
    early = wrap(decided, decided.reference)
    async with consuming(kafka_bootstrap, subscription(topic), uow):
        await publish(kafka_bootstrap, topic, [(decided.reference, early)])
        await eventually(lambda: processed(uow, topic, early), timeout=60)
        late_cancel = cancellation(decided)
        await publish(kafka_bootstrap, topic, [(decided.reference, late_cancel)])
        await eventually(lambda: processed(uow, topic, late_cancel), timeout=60)
    # checked before its cancellation: the verdict stays (the claims service ignores it)
    assert await verdicts(uow) == [decided.reference]

    # published while no consumer runs, so that the next one reads both in one batch
    receipt, cancel = wrap(dropped, dropped.reference), cancellation(dropped)
    await publish(kafka_bootstrap, topic, [(dropped.reference, receipt), (dropped.reference, cancel)])
    async with consuming(kafka_bootstrap, subscription(topic), uow):
        await eventually(lambda: processed(uow, topic, receipt, cancel), timeout=60)

    assert await verdicts(uow) == [decided.reference]
    assert sorted(await cancelled(uow)) == sorted([decided.reference, dropped.reference])


async def test_cancellations_older_than_a_week_are_forgotten_as_new_ones_come(uow: UnitOfWork) -> None:
    now = datetime.now(UTC)
    old, recent = claim(5, RECEIVED), claim(6, RECEIVED)
    for event, age in ((old, timedelta(days=8)), (recent, timedelta(days=6))):
        cancel = ClaimCancelledV1(reference=event.reference, practitioner_id="P-1", cancelled_at=now - age)
        async with uow() as unit:
            await on_claim_cancelled(unit, wrap(cancel, event.reference), cancel)
    assert sorted(await cancelled(uow)) == [recent.reference]
