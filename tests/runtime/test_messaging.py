"""Outbox, inbox and dead letters against the real broker, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord
from faststream.kafka import KafkaBroker
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.exc import OperationalError

from contracts.claims import ClaimCancelledV1
from contracts.envelope import Envelope, Payload
from runtime import db, ops
from runtime.broker import DeadLetterPublisher, OffsetCommitters, attach, ensure_topics
from runtime.messaging.consumer import Consumer, MessageRejectedError, Subscription
from runtime.messaging.relay import OutboxRelay
from runtime.messaging.tables import MessagingTables, messaging_tables
from runtime.messaging.uow import Unit, UnitOfWork
from runtime.settings import ServiceSettings
from tests.helpers import eventually, read_topic

pytestmark = pytest.mark.broker


class Noted(Payload):
    event_type: ClassVar[str] = "TestNoted"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = "unused"

    n: int
    behaviour: str = "ok"


@dataclass
class Harness:
    uow: UnitOfWork
    relay: OutboxRelay
    effects: Table
    sessions: Any
    tables: MessagingTables

    async def effect_count(self) -> int:
        async with self.sessions() as session:
            return int((await session.execute(select(func.count()).select_from(self.effects))).scalar_one())


@pytest.fixture
async def harness(database_url: str, kafka_bootstrap: str) -> AsyncIterator[Harness]:
    metadata = MetaData()
    tables = messaging_tables(metadata)
    effects = Table("effects", metadata, Column("n", Integer, primary_key=True), Column("note", String(20)))
    engine = db.make_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    sessions = db.sessions(engine)
    relay = OutboxRelay(sessions, tables, kafka_bootstrap, "test-relay", poll_seconds=0.05)
    await relay.start()
    uow = UnitOfWork(sessions, tables, "tests", relay.committed)
    yield Harness(uow, relay, effects, sessions, tables)
    await relay.stop()
    await engine.dispose()


async def test_outbox_publishes_every_event_in_order_per_key(
    harness: Harness, topic: str, kafka_bootstrap: str
) -> None:
    Noted.topic = topic
    for n in range(60):
        async with harness.uow() as unit:
            unit.emit(Noted(n=n), subject=f"claim-{n % 4}")

    records = await read_topic(kafka_bootstrap, topic, 60)

    assert len(records) == 60
    by_key: dict[bytes, list[int]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        envelope = Envelope.model_validate_json(record.value)
        assert envelope.subject == record.key.decode()
        assert dict(record.headers)["ce_type"] == b"TestNoted"
        by_key.setdefault(record.key, []).append(envelope.data["n"])
    assert all(ns == sorted(ns) for ns in by_key.values())
    assert sum(len(ns) for ns in by_key.values()) == 60

    async def outbox_empty() -> bool:  # sent rows are deleted together, shortly after
        async with harness.sessions() as session:
            outbox = messaging_tables(MetaData()).outbox
            return int((await session.execute(select(func.count()).select_from(outbox))).scalar_one()) == 0

    await eventually(outbox_empty, timeout=10)


async def test_a_rolled_back_unit_publishes_nothing(
    harness: Harness, topic: str, kafka_bootstrap: str
) -> None:
    Noted.topic = topic
    with pytest.raises(RuntimeError):
        async with harness.uow() as unit:
            unit.emit(Noted(n=1), subject="lost")
            raise RuntimeError("crash before commit")
    async with harness.uow() as unit:
        unit.emit(Noted(n=2), subject="kept")

    records = await read_topic(kafka_bootstrap, topic, 1)

    assert [Envelope.model_validate_json(r.value).data["n"] for r in records] == [2]


async def test_a_withdrawn_event_is_never_published(
    harness: Harness, topic: str, kafka_bootstrap: str
) -> None:
    Noted.topic = topic
    async with harness.uow() as unit:
        for n, subject in enumerate(("moot", "kept", "moot")):
            unit.emit(Noted(n=n), subject=subject)
        assert unit.withdraw("moot", Noted) == 2
        assert unit.withdraw("kept", ClaimCancelledV1) == 0  # another type of the subject
    async with harness.uow() as unit:
        unit.emit(Noted(n=3), subject="moot")

    records = await read_topic(kafka_bootstrap, topic, 2)

    assert sorted((r.key, Envelope.model_validate_json(r.value).data["n"]) for r in records) == [
        (b"kept", 1),
        (b"moot", 3),
    ]


async def test_consumer_dead_letters_the_permanent_failure_and_retries_the_transient_one(
    harness: Harness, topic: str, kafka_bootstrap: str
) -> None:
    """Kafka Connect's dead-letter case: 20 records, one failing once, one failing always, one unreadable
    besides: 19 effects, 2 dead letters naming topic, partition, offset and the error."""
    failed_once: set[int] = set()

    async def record(unit: Unit, _envelope: Envelope, event: Noted) -> None:
        if event.behaviour == "transient" and event.n not in failed_once:
            failed_once.add(event.n)
            raise OperationalError("SELECT 1", {}, ConnectionError("database away"))
        if event.behaviour == "permanent":
            raise MessageRejectedError("n: refused by the domain")
        await unit.session.execute(harness.effects.insert().values(n=event.n, note=event.behaviour))

    settings = ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap)
    broker = KafkaBroker(kafka_bootstrap)
    consumer = Consumer(
        [Subscription(topic, f"g-{topic}", {Noted: record})], harness.uow, DeadLetterPublisher(broker)
    )
    attach(broker, consumer, settings)
    await broker.start()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for n in range(20):
            behaviour = {5: "transient", 12: "permanent"}.get(n, "ok")
            envelope = Envelope.wrap(Noted(n=n, behaviour=behaviour), source="tests", subject=f"k{n}")
            await producer.send_and_wait(topic, envelope.model_dump_json().encode(), key=f"k{n}".encode())
        await producer.send_and_wait(topic, b'{"not": "an envelope"', key=b"bad")

        await eventually(lambda: _equals(harness.effect_count(), 19))
        dead = await read_topic(kafka_bootstrap, f"{topic}.dlt", 2)
    finally:
        await producer.stop()
        await broker.stop()

    assert failed_once == {5}
    assert consumer.dead_lettered == 2
    headers = [dict((k, v.decode()) for k, v in r.headers) for r in dead]
    assert {h["dlt-original-topic"] for h in headers} == {topic}
    assert all(h["dlt-original-offset"].isdigit() and h["dlt-original-partition"].isdigit() for h in headers)
    classes = sorted(h["dlt-exception-class"] for h in headers)
    assert classes == ["MessageRejectedError", "ValidationError"]
    rejected = next(h for h in headers if h["dlt-exception-class"] == "MessageRejectedError")
    assert rejected["dlt-exception-message"] == "n: refused by the domain"
    assert {r.key for r in dead} == {b"k12", b"bad"}


async def test_a_batch_returns_once_the_broker_has_acknowledged_each_of_its_dead_letters(
    harness: Harness, topic: str, kafka_bootstrap: str
) -> None:
    """A batch's dead letters are handed to the producer one after the other without waiting, and
    awaited together before the batch is done (its offsets committed only then)."""

    async def record(unit: Unit, _envelope: Envelope, event: Noted) -> None:
        await unit.session.execute(harness.effects.insert().values(n=event.n, note=event.behaviour))

    broker = KafkaBroker(kafka_bootstrap)
    publisher = DeadLetterPublisher(broker)
    handed: list[Any] = []
    reasons: dict[bytes | None, str] = {}

    async def watched(topic: str, key: bytes | None, value: bytes, headers: dict[str, str]) -> Any:
        acknowledgement = await publisher(topic, key, value, headers)
        handed.append(acknowledgement)
        reasons[key] = headers["dlt-exception-message"]
        return acknowledgement

    consumer = Consumer([Subscription(topic, f"g-{topic}", {Noted: record})], harness.uow, watched)
    good = Envelope.wrap(Noted(n=1), source="tests", subject="k").model_dump_json().encode()
    unknown = good.replace(b'"TestNoted"', b'"diagnosis: diabetes"')
    wrong = good.replace(b'"n":1', b'"n":"diabetes"')
    assert unknown != good != wrong
    records = _records(topic, [b"\xff", good, b"[]", b'{"type": "TestNoted"}', b"{}", unknown, wrong])
    await broker.start()
    try:
        await consumer.process(records)
        assert len(handed) == 6
        assert all(a.done() and a.exception() is None for a in handed)  # acknowledged, not just sent
        dead = await read_topic(kafka_bootstrap, f"{topic}.dlt", 6)
    finally:
        await broker.stop()
    assert sorted(r.key for r in dead) == [b"k0", b"k2", b"k3", b"k4", b"k5", b"k6"]
    assert await harness.effect_count() == 1
    assert reasons[b"k5"] == "type: names no known event type"  # the sender's type is not echoed
    assert reasons[b"k6"].startswith("data.n: Input should be a valid integer")  # within the data
    assert not [r for r in reasons.values() if "diabetes" in r]


def _records(topic: str, values: Sequence[bytes]) -> list[ConsumerRecord[bytes, bytes]]:
    return [
        ConsumerRecord(topic, 0, offset, 0, 0, f"k{offset}".encode(), value, None, 2, len(value), [])
        for offset, value in enumerate(values)
    ]


async def test_a_batch_whose_dead_letter_is_not_acknowledged_fails_and_its_refusals_are_noticed_once(
    harness: Harness, topic: str, kafka_bootstrap: str
) -> None:
    """A batch's refusals are noticed together once their dead letters are acknowledged, and once: a
    batch fetched again after a failed dead letter, or after the process died before committing its
    offsets, is not refused a second time."""

    async def record(unit: Unit, envelope: Envelope, event: Noted) -> None:
        if event.behaviour == "refused":
            raise MessageRejectedError("n: refused by the domain", Noted(n=100 + event.n), envelope.subject)
        await unit.session.execute(harness.effects.insert().values(n=event.n, note=event.behaviour))

    broker = KafkaBroker(kafka_bootstrap)
    publisher = DeadLetterPublisher(broker)
    broker_away = [True]
    handed: list[bytes | None] = []

    async def sink(topic: str, key: bytes | None, value: bytes, headers: dict[str, str]) -> Any:
        assert headers["dlt-exception-message"] == "n: refused by the domain"
        handed.append(key)
        if broker_away[0]:
            failed: asyncio.Future[object] = asyncio.get_running_loop().create_future()
            failed.set_exception(ConnectionError("broker away"))
            return failed
        return await publisher(topic, key, value, headers)

    commits: list[list[tuple[str, str]]] = []
    uow = UnitOfWork(
        harness.sessions,
        harness.tables,
        "tests",
        lambda rows: commits.append([(row["event_type"], row["key"]) for row in rows]),
    )
    consumer = Consumer([Subscription(topic, f"g-{topic}", {Noted: record})], uow, sink)
    events = [
        Envelope.wrap(Noted(n=1, behaviour="refused"), source="tests", subject="claim-1"),
        Envelope.wrap(Noted(n=2), source="tests", subject="claim-2"),
        Envelope.wrap(Noted(n=3, behaviour="refused"), source="tests", subject="claim-3"),
    ]
    records = _records(topic, [e.model_dump_json().encode() for e in events])
    await broker.start()
    try:
        with pytest.raises(ConnectionError):
            await consumer.process(records)
        assert commits == []  # no notice before its dead letter is acknowledged
        broker_away[0] = False
        await consumer.process(records)  # fetched again
        await consumer.process(records)  # and again, as after a crash before the offsets' commit
        dead = await read_topic(kafka_bootstrap, f"{topic}.dlt", 2)
    finally:
        await broker.stop()
    assert handed == [b"k0", b"k2"] * 2  # the failed batch's, then the batch fetched again
    assert sorted(r.key for r in dead) == [b"k0", b"k2"]
    assert commits == [[("TestNoted", "claim-1"), ("TestNoted", "claim-3")]]  # together, once
    assert await harness.effect_count() == 1


async def test_a_redelivered_event_has_its_effect_once(
    harness: Harness, topic: str, kafka_bootstrap: str
) -> None:
    async def record(unit: Unit, _envelope: Envelope, event: Noted) -> None:
        await unit.session.execute(harness.effects.insert().values(n=event.n, note="once"))

    settings = ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap)
    broker = KafkaBroker(kafka_bootstrap)
    group = f"g-{topic}"
    subscriptions = [Subscription(topic, group, {Noted: record})]
    consumer = Consumer(subscriptions, harness.uow, DeadLetterPublisher(broker))
    attach(broker, consumer, settings)
    envelope = Envelope.wrap(Noted(n=7), source="tests", subject="same")
    other = Envelope.wrap(Noted(n=8), source="tests", subject="same")
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    await broker.start()

    async def send_and_see_handled(*items: Envelope) -> None:
        """Offsets are committed only once a batch's effects are durable: past the last, all handled."""
        sent = [
            await producer.send_and_wait(topic, item.model_dump_json().encode(), key=b"same")
            for item in items
        ]
        partition, end = TopicPartition(topic, sent[-1].partition), sent[-1].offset + 1
        await eventually(lambda: _at(_committed(kafka_bootstrap, group, topic), partition, end))

    try:
        await send_and_see_handled(envelope)
        # Later batches: only the inbox can tell that the event was processed before.
        await send_and_see_handled(envelope, other, envelope)
        assert await harness.effect_count() == 2
    finally:
        await producer.stop()
        await broker.stop()
    assert consumer.dead_lettered == 0  # a second effect would have failed on the key, and been dead-lettered
    assert json.loads(envelope.model_dump_json())["id"] == str(envelope.id)


async def test_offsets_are_committed_after_the_effects_never_past_a_failed_batch(
    harness: Harness, topic: str, kafka_bootstrap: str
) -> None:
    """Acknowledged batches are committed in the background, after their effects; a batch that
    fails (a transient error outlasting the retries) is rewound and nothing past it is committed until
    its effect is durable."""
    failing = {"on": True}
    attempts = {3: 0}

    async def record(unit: Unit, _envelope: Envelope, event: Noted) -> None:
        if event.n == 3 and failing["on"]:
            attempts[3] += 1
            raise OperationalError("SELECT 1", {}, ConnectionError("database away"))
        await unit.session.execute(harness.effects.insert().values(n=event.n, note="ok"))

    group = f"g-{topic}"
    broker = KafkaBroker(kafka_bootstrap)
    consumer = Consumer(
        [Subscription(topic, group, {Noted: record})],
        harness.uow,
        DeadLetterPublisher(broker),
        retries=1,
        retry_delay=0.05,
    )
    committers = OffsetCommitters(interval=0.2)
    attach(broker, consumer, ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap), committers)
    await broker.start()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()

    try:
        sent = [
            await producer.send_and_wait(
                topic,
                Envelope.wrap(Noted(n=n), source="tests", subject="one").model_dump_json().encode(),
                key=b"one",
            )
            for n in range(6)
        ]
        partition = TopicPartition(topic, sent[0].partition)
        await eventually(lambda: _equals(harness.effect_count(), 3))  # 0, 1, 2: 3 keeps failing
        # Two attempts a delivery (retries=1): a third means the failed batch was rewound and read
        # again, so whatever its failure handed the committer is pending, on its way or committed.
        await eventually(lambda: _true(attempts[3] >= 3 and committers.settled))
        assert (await _committed(kafka_bootstrap, group, topic)).get(partition, 0) <= sent[3].offset

        failing["on"] = False
        await eventually(lambda: _equals(harness.effect_count(), 6))
        await eventually(
            lambda: _at(_committed(kafka_bootstrap, group, topic), partition, sent[5].offset + 1)
        )

    finally:
        await producer.stop()
        await broker.stop()
    assert consumer.dead_lettered == 0


async def test_pending_offsets_are_committed_by_the_flush_at_stop(
    harness: Harness, topic: str, kafka_bootstrap: str
) -> None:
    async def record(unit: Unit, _envelope: Envelope, event: Noted) -> None:
        await unit.session.execute(harness.effects.insert().values(n=event.n, note="ok"))

    group = f"g-{topic}"
    broker = KafkaBroker(kafka_bootstrap)
    consumer = Consumer(
        [Subscription(topic, group, {Noted: record})], harness.uow, DeadLetterPublisher(broker)
    )
    committers = OffsetCommitters(interval=60.0)  # only the flush commits within this test
    attach(broker, consumer, ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap), committers)
    await broker.start()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        envelope = Envelope.wrap(Noted(n=1), source="tests", subject="one")
        sent = await producer.send_and_wait(topic, envelope.model_dump_json().encode(), key=b"one")
        partition = TopicPartition(topic, sent.partition)
        await eventually(lambda: _equals(harness.effect_count(), 1))
        await eventually(lambda: _true(committers.pending == {partition: sent.offset + 1}))
        assert partition not in await _committed(kafka_bootstrap, group, topic)

        await committers.flush()

        assert (await _committed(kafka_bootstrap, group, topic))[partition] == sent.offset + 1
    finally:
        await producer.stop()
        await broker.stop()


async def _committed(bootstrap: str, group: str, topic: str) -> dict[TopicPartition, int]:
    """The group's committed offsets (a partition with none is left out)."""
    offsets = (await ops.committed(bootstrap, [(group, topic)]))[group]
    return {partition: offset for partition, offset in offsets.items() if offset}


async def _at(offsets: Any, partition: TopicPartition, expected: int) -> bool:
    return bool((await offsets).get(partition) == expected)


async def _equals(value: Any, expected: int) -> bool:
    return bool(await value == expected)


async def _true(value: bool) -> bool:
    return value


class Counted(Payload):
    event_type: ClassVar[str] = "TestCounted"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = "unused"

    n: int


async def test_one_consumer_serves_a_group_over_several_topics(
    harness: Harness, topic: str, kafka_bootstrap: str
) -> None:
    """Two topics of one group share one Kafka consumer; each event reaches its own handler."""
    other_topic = f"{topic}-other"
    await ensure_topics(kafka_bootstrap, [other_topic, f"{other_topic}.dlt"], partitions=3)

    async def noted(unit: Unit, _envelope: Envelope, event: Noted) -> None:
        await unit.session.execute(harness.effects.insert().values(n=event.n, note="noted"))

    async def counted(unit: Unit, _envelope: Envelope, event: Counted) -> None:
        await unit.session.execute(harness.effects.insert().values(n=event.n, note="counted"))

    group = f"g-{topic}"
    consumer = Consumer(
        [Subscription(topic, group, {Noted: noted}), Subscription(other_topic, group, {Counted: counted})],
        harness.uow,
        DeadLetterPublisher(KafkaBroker(kafka_bootstrap)),
    )
    broker = KafkaBroker(kafka_bootstrap)
    attach(broker, consumer, ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap))
    assert len(broker.subscribers) == 1
    await broker.start()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for n in range(6):
            payload, target = (Noted(n=n), topic) if n % 2 else (Counted(n=n), other_topic)
            envelope = Envelope.wrap(payload, source="tests", subject=f"k{n}")
            await producer.send_and_wait(target, envelope.model_dump_json().encode(), key=f"k{n}".encode())
        await eventually(lambda: _equals(harness.effect_count(), 6))
    finally:
        await producer.stop()
        await broker.stop()
    async with harness.sessions() as session:
        notes = dict((await session.execute(select(harness.effects.c.n, harness.effects.c.note))).all())
    assert notes == {0: "counted", 1: "noted", 2: "counted", 3: "noted", 4: "counted", 5: "noted"}
    assert consumer.topics == (topic, other_topic)
    assert consumer.background is False


async def test_a_prefetch_reads_once_for_each_run_of_one_type_and_sees_the_runs_before(
    harness: Harness, topic: str, kafka_bootstrap: str
) -> None:
    """Noted 0, 1, 2, Counted 3, Noted 4, 5 in one partition: the Noted handler's prefetch is called
    once for each run of consecutive Noted events (never across the Counted one), before the run, and
    it sees what the runs before it wrote in the same transaction; the handlers read what it left."""
    runs: list[list[int]] = []

    async def prefetch(unit: Unit, events: Sequence[Noted]) -> None:
        runs.append([event.n for event in events])
        unit.prefetched["effects before"] = await _effects_in(unit, harness.effects)

    async def noted(unit: Unit, _envelope: Envelope, event: Noted) -> None:
        note = f"saw {unit.prefetched['effects before']}"
        await unit.session.execute(harness.effects.insert().values(n=event.n, note=note))

    async def counted(unit: Unit, _envelope: Envelope, event: Counted) -> None:
        await unit.session.execute(harness.effects.insert().values(n=event.n, note="counted"))

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for n in range(6):
            payload = Counted(n=n) if n == 3 else Noted(n=n)
            envelope = Envelope.wrap(payload, source="tests", subject="one")
            await producer.send_and_wait(topic, envelope.model_dump_json().encode(), key=b"one")
    finally:
        await producer.stop()
    Counted.topic = topic
    broker = KafkaBroker(kafka_bootstrap)
    consumer = Consumer(
        [Subscription(topic, f"g-{topic}", {Noted: noted, Counted: counted}, prefetch={Noted: prefetch})],
        harness.uow,
        DeadLetterPublisher(broker),
    )
    attach(broker, consumer, ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap))
    await broker.start()
    try:
        await eventually(lambda: _equals(harness.effect_count(), 6))
    finally:
        await broker.stop()
    async with harness.sessions() as session:
        notes = dict((await session.execute(select(harness.effects.c.n, harness.effects.c.note))).all())

    # All six were written before the consumer started: its first fetch returns them in one batch.
    assert runs == [[0, 1, 2], [4, 5]]
    assert notes == {0: "saw 0", 1: "saw 0", 2: "saw 0", 3: "counted", 4: "saw 4", 5: "saw 4"}
    assert consumer.dead_lettered == 0


async def _effects_in(unit: Unit, effects: Table) -> int:
    return int((await unit.session.execute(select(func.count()).select_from(effects))).scalar_one())


async def test_a_consumer_refuses_two_groups_or_two_handlers_for_one_type(harness: Harness) -> None:
    async def handler(_unit: Unit, _envelope: Envelope, _event: Noted) -> None:
        return None

    async def another(_unit: Unit, _envelope: Envelope, _event: Noted) -> None:
        return None

    sink = DeadLetterPublisher(KafkaBroker("127.0.0.1:1"))
    with pytest.raises(ValueError, match="exactly one group"):
        Consumer([Subscription("a", "g1", {Noted: handler}), Subscription("b", "g2", {})], harness.uow, sink)
    with pytest.raises(ValueError, match="two handlers"):
        Consumer(
            [Subscription("a", "g", {Noted: handler}), Subscription("b", "g", {Noted: another})],
            harness.uow,
            sink,
        )
    background = Consumer([Subscription("a", "g", {Noted: handler}, background=True)], harness.uow, sink)
    assert background.background is True


class GatedRelay(OutboxRelay):
    """A relay that, once, holds the rows it has read until `release` is set (a slow instance)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.holding = asyncio.Event()
        self.release = asyncio.Event()

    async def publish(self, rows: Any) -> None:
        if rows and not self.release.is_set():
            self.holding.set()
            await self.release.wait()
        await super().publish(rows)


async def test_two_relays_on_one_sqlite_outbox_lose_nothing(
    tmp_path: Path, data_dir: Path, topic: str, kafka_bootstrap: str
) -> None:
    """Two instances of a service share one SQLite file, each with its own relay (no row locks on SQLite).
    Relay A reads e1 and is slow; relay B sends e1 and deletes it; e2 is committed into the emptied table,
    where SQLite gives it e1's rowid again; A's delete after its late send must not take e2 with it."""
    Noted.topic = topic
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    metadata = MetaData()
    tables = messaging_tables(metadata)
    engines = [db.make_engine(url), db.make_engine(url)]
    async with engines[0].begin() as connection:
        await connection.run_sync(metadata.create_all)
    sessions = [db.sessions(engine) for engine in engines]
    # Neither relay is woken by commits and their polls are an hour apart: the test decides when each
    # one reads (a relay reads once as it starts, and when woken).
    slow = GatedRelay(sessions[0], tables, kafka_bootstrap, "relay-a", poll_seconds=3600)
    fast = OutboxRelay(sessions[1], tables, kafka_bootstrap, "relay-b", poll_seconds=3600)
    uow = UnitOfWork(sessions[0], tables, "tests")

    async def outbox_ids() -> list[int]:
        async with sessions[1]() as session:
            return list((await session.execute(select(tables.outbox.c.id))).scalars())

    try:
        await slow.start()
        async with uow() as unit:
            first = unit.emit(Noted(n=1), subject="k")
        first_row = await outbox_ids()
        slow.wake()
        await asyncio.wait_for(slow.holding.wait(), 30)  # A has read e1 and not sent it yet
        await fast.start()  # B's first read sends e1 and deletes it
        await eventually(lambda: _is_empty(outbox_ids()))
        async with uow() as unit:
            second = unit.emit(Noted(n=2), subject="k")
        second_row = await outbox_ids()
        slow.release.set()
        await eventually(lambda: _published(slow))  # A sent e1 again and deleted what it sent
        fast.wake()
        records = await read_topic(kafka_bootstrap, topic, 3, timeout=15)
    finally:
        await slow.stop()
        await fast.stop()
        for engine in engines:
            await engine.dispose()

    assert second_row == first_row, "the case under test: SQLite gave e2 the row id e1 had"
    ids = [Envelope.model_validate_json(r.value).id for r in records]
    assert set(ids) == {first.id, second.id}, "an event committed to the outbox was never published"
    assert ids.count(first.id) == 2  # sent by both relays; consumers' inboxes absorb the second


async def _published(relay: OutboxRelay) -> bool:
    return relay.published > 0


async def _is_empty(value: Any) -> bool:
    return not await value


async def test_events_that_no_handler_wants_are_skipped_by_their_header_alone(
    harness: Harness, topic: str, kafka_bootstrap: str
) -> None:
    """The relay's ce_type header lets a group skip another group's events unread, but only for a type
    published on that very topic: any other header is checked against the body."""
    Noted.topic = Counted.topic = topic

    async def noted(unit: Unit, _envelope: Envelope, event: Noted) -> None:
        await unit.session.execute(harness.effects.insert().values(n=event.n, note="noted"))

    broker = KafkaBroker(kafka_bootstrap)
    consumer = Consumer(
        [Subscription(topic, f"g-{topic}", {Noted: noted})], harness.uow, DeadLetterPublisher(broker)
    )
    attach(broker, consumer, ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap))

    def body(n: int) -> bytes:
        return Envelope.wrap(Noted(n=n), source="tests", subject="k").model_dump_json().encode()

    sent = [
        (b"not read", "TestCounted"),  # another group's event on this topic: skipped unread
        (body(1), "ClaimAccepted"),  # a type of another topic: not trusted, read and handled
        (body(2), None),  # no header: read and handled
        (body(3), "null"),  # a ce_type header without a value (Kafka allows it): read and handled
        (b"\xff\xfe", "\udcff"),  # a header that is not UTF-8 with a body that is not either: dead-lettered
        (b"unreadable", "TestNoted"),  # a type handled here: read, and dead-lettered
        (b"unreadable", "NoSuchEvent"),  # an unknown type: read, and dead-lettered
    ]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    await broker.start()
    try:
        for value, declared in sent:
            header = None if declared == "null" else (declared or "").encode("utf-8", "surrogateescape")
            headers = [("ce_type", header)] if declared else []
            await producer.send_and_wait(topic, value, key=b"k", headers=headers)
        dead = await read_topic(kafka_bootstrap, f"{topic}.dlt", 3)
        await eventually(lambda: _equals(harness.effect_count(), 3))
    finally:
        await producer.stop()
        await broker.stop()
    assert sorted(r.value for r in dead) == [b"unreadable", b"unreadable", b"\xff\xfe"]
    assert consumer.dead_lettered == 3
    async with harness.sessions() as session:
        assert set((await session.execute(select(harness.effects.c.n))).scalars()) == {1, 2, 3}
