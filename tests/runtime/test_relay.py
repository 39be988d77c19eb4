"""The outbox relay's two paths, against the real broker, on SQLite and PostgreSQL: committed rows sent
from memory, and the table read when memory cannot be trusted (start, failure, rows it was not told of)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from aiokafka.partitioner import murmur2
from sqlalchemy import MetaData, func, select

from contracts.envelope import Envelope, Payload
from runtime import db
from runtime.db import Sessions
from runtime.messaging import relay as relay_module
from runtime.messaging.relay import MAX_BATCH_BYTES, OutboxRelay
from runtime.messaging.tables import MessagingTables, messaging_tables
from runtime.messaging.uow import UnitOfWork
from tests.helpers import eventually, read_to_end, read_topic

pytestmark = pytest.mark.broker


class Relayed(Payload):
    event_type: ClassVar[str] = "TestRelayed"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = "unused"

    n: int


class CountingRelay(OutboxRelay):
    """Counts its reads of the table (once each has ended, its rows sent or not) and its deletes; fails
    the next `failures` sends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reads = 0
        self.deletes = 0
        self.failures = 0

    async def _forget(self, sent: list[Any]) -> None:
        self.deletes += bool(sent)
        await super()._forget(sent)

    async def flush_once(self, older_than: Any = None) -> int:
        try:
            return await super().flush_once(older_than)
        finally:
            self.reads += 1

    async def publish(self, rows: Any) -> None:
        if rows and self.failures:
            self.failures -= 1
            raise ConnectionError("broker unreachable")
        await super().publish(rows)


@dataclass
class Setup:
    sessions: Sessions
    tables: MessagingTables
    relays: list[CountingRelay]

    def relay(self, bootstrap: str, poll_seconds: float) -> CountingRelay:
        relay = CountingRelay(self.sessions, self.tables, bootstrap, "test-relay", poll_seconds)
        self.relays.append(relay)
        return relay

    async def started(self, bootstrap: str) -> tuple[CountingRelay, UnitOfWork]:
        """A started relay that has read the table once (as it starts), with no periodic read during the
        test, and a unit of work that hands it what it commits."""
        relay = self.relay(bootstrap, poll_seconds=3600)
        await relay.start()
        await eventually(lambda: _at_least(relay.reads, 1))
        return relay, UnitOfWork(self.sessions, self.tables, "tests", relay.committed)

    async def left_in_table(self) -> int:
        async with self.sessions() as session:
            count = await session.execute(select(func.count()).select_from(self.tables.outbox))
            return int(count.scalar_one())


@pytest.fixture
async def setup(database_url: str, topic: str) -> AsyncIterator[Setup]:
    Relayed.topic = topic
    metadata = MetaData()
    tables = messaging_tables(metadata)
    engine = db.make_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    result = Setup(db.sessions(engine), tables, [])
    yield result
    for relay in result.relays:
        await relay.stop()
    await engine.dispose()


def numbers(records: list[Any]) -> list[int]:
    ordered = sorted(records, key=lambda r: (r.partition, r.offset))
    return [Envelope.model_validate_json(r.value).data["n"] for r in ordered]


async def test_committed_rows_are_sent_from_memory_without_reading_the_table(
    setup: Setup, topic: str, kafka_bootstrap: str
) -> None:
    relay, uow = await setup.started(kafka_bootstrap)
    reads = relay.reads
    for n in range(20):
        async with uow() as unit:
            unit.emit(Relayed(n=n), subject="one-claim")

    records = await read_topic(kafka_bootstrap, topic, 20)

    assert numbers(records) == list(range(20))  # one key: one partition, in commit order
    assert relay.reads == reads
    await eventually(lambda: _is_zero(setup.left_in_table()))


async def test_each_key_goes_to_its_default_partition_in_commit_order_past_one_batch(
    setup: Setup, topic: str, kafka_bootstrap: str
) -> None:
    """Rows handed over together go out a record batch a partition; a partition's share may fill more
    than one batch. Each key lands where the Java client's default partitioner puts it (murmur2 of the
    key), and each key's events keep their commit order."""
    _relay, uow = await setup.started(kafka_bootstrap)
    keys = [f"FSE-20261207-{index:010d}" for index in range(12)]
    async with uow() as unit:  # one commit: the relay gets every row at once
        for n in range(3000):
            unit.emit(Relayed(n=n), subject=keys[n % len(keys)])

    records = await read_topic(kafka_bootstrap, topic, 3000)

    partitions = sorted({record.partition for record in records})
    assert partitions == [0, 1, 2]
    largest = max(sum(len(r.value) for r in records if r.partition == p) for p in partitions)
    assert largest > MAX_BATCH_BYTES, "a partition's share filled more than one batch"
    for record in records:
        assert record.partition == (murmur2(record.key) & 0x7FFFFFFF) % len(partitions)
    for key in keys:
        ordered = sorted((r for r in records if r.key == key.encode()), key=lambda r: r.offset)
        assert numbers(ordered) == list(range(keys.index(key), 3000, len(keys)))


async def test_rows_sent_from_memory_are_deleted_together_and_not_read_again(
    setup: Setup, topic: str, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(relay_module, "DELETE_SECONDS", 3600.0)  # deleted only before a read of the table
    relay, uow = await setup.started(kafka_bootstrap)
    for n in range(10):
        async with uow() as unit:
            unit.emit(Relayed(n=n), subject=f"claim-{n}")
    assert len(await read_topic(kafka_bootstrap, topic, 10)) == 10
    assert await setup.left_in_table() == 10  # sent, not deleted yet
    deletes, reads = relay.deletes, relay.reads

    relay.wake()  # a read of the table: the sent rows are deleted first, so it finds none of them
    await eventually(lambda: _at_least(relay.reads, reads + 1))  # over: whatever it found is sent

    assert await setup.left_in_table() == 0
    assert relay.deletes == deletes + 1
    assert len(await read_to_end(kafka_bootstrap, topic)) == 10


async def test_after_a_failed_send_the_table_is_read_again_and_nothing_is_lost(
    setup: Setup, topic: str, kafka_bootstrap: str
) -> None:
    relay, uow = await setup.started(kafka_bootstrap)
    reads = relay.reads
    relay.failures = 1
    for n in range(5):
        async with uow() as unit:
            unit.emit(Relayed(n=n), subject="one-claim")

    records = await read_topic(kafka_bootstrap, topic, 5)

    assert sorted(set(numbers(records))) == list(range(5))
    assert numbers(records) == sorted(numbers(records)), "the table's read keeps the commit order"
    await eventually(lambda: _at_least(relay.reads, reads + 1))  # sent by a read of the table
    await eventually(lambda: _is_zero(setup.left_in_table()))


async def test_rows_the_relay_was_not_told_of_go_out_when_woken_or_once_old(
    setup: Setup, topic: str, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process wrote them (a command-line import, an instance that died): a wake reads the
    table at once; otherwise the poll reads rows older than AGE_SECONDS."""
    monkeypatch.setattr(relay_module, "AGE_SECONDS", 0.5)
    woken = setup.relay(kafka_bootstrap, poll_seconds=3600)
    untold = UnitOfWork(setup.sessions, setup.tables, "tests")
    await woken.start()
    await eventually(lambda: _at_least(woken.reads, 1))
    async with untold() as unit:
        unit.emit(Relayed(n=1), subject="woken")
    woken.wake()
    assert numbers(await read_topic(kafka_bootstrap, topic, 1)) == [1]
    # Its delete commits after the send: a stop before that would leave the row to be sent again.
    await eventually(lambda: _is_zero(setup.left_in_table()))
    await woken.stop()

    polling = setup.relay(kafka_bootstrap, poll_seconds=0.1)
    await polling.start()
    await eventually(lambda: _at_least(polling.reads, 1))
    async with untold() as unit:
        unit.emit(Relayed(n=2), subject="old")

    assert sorted(numbers(await read_topic(kafka_bootstrap, topic, 2))) == [1, 2]
    await eventually(lambda: _is_zero(setup.left_in_table()))


async def test_a_stop_sends_and_deletes_what_was_committed_first(
    setup: Setup, topic: str, kafka_bootstrap: str
) -> None:
    """An orderly stop (a rolling restart) is not a crash: every committed row goes out once and leaves
    the table before the relay stops, so that the next start has nothing to send again."""
    relay, uow = await setup.started(kafka_bootstrap)
    for n in range(200):
        async with uow() as unit:
            unit.emit(Relayed(n=n), subject="one-claim")
    await relay.stop()

    assert await setup.left_in_table() == 0
    assert numbers(await read_to_end(kafka_bootstrap, topic)) == list(range(200))


async def test_a_relay_that_cannot_send_stops_once_its_grace_has_run_out_and_keeps_its_rows(
    setup: Setup, kafka_bootstrap: str
) -> None:
    relay, uow = await setup.started(kafka_bootstrap)
    relay.failures = 1_000_000  # the broker unreachable from now on
    for n in range(20):
        async with uow() as unit:
            unit.emit(Relayed(n=n), subject="one-claim")

    async with asyncio.timeout(10):  # a stop that swallowed its cancellation would wait for ever
        await relay.stop(grace_seconds=0.5)

    assert await setup.left_in_table() == 20  # sent at the next start


async def _at_least(value: int, least: int) -> bool:
    return value >= least


async def _is_zero(count: Awaitable[int]) -> bool:
    return await count == 0
