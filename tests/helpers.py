"""Waiting on conditions (never sleeping a fixed time), reading topics without joining a group, and
reading the statements sent to a database and SQLite's plan for one."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError
from sqlalchemy import Delete, Select, Update, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.envelope import Envelope, Payload
from contracts.registry import UnknownEventError, parse

T = TypeVar("T")


async def eventually(
    check: Callable[[], Awaitable[T | None]], timeout: float = 30.0, interval: float = 0.1
) -> T:
    """Wait until `check` returns a truthy value (returned) or fail with the last value seen."""
    deadline = time.monotonic() + timeout
    value: Any = None
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value  # type: ignore[no-any-return]
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {value!r}")


@asynccontextmanager
async def assigned(
    bootstrap: str, topic: str
) -> AsyncIterator[tuple[AIOKafkaConsumer, list[TopicPartition]]]:
    """A consumer of every partition of `topic` from the beginning, in no group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=10)
    await consumer.start()
    try:
        await consumer.topics()  # loads the metadata partitions_for_topic reads
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        yield consumer, partitions
    finally:
        await consumer.stop()


async def read_topic(bootstrap: str, topic: str, expected: int, timeout: float = 30.0) -> list[Any]:
    """Every record of `topic` from the beginning, once at least `expected` have arrived."""
    async with assigned(bootstrap, topic) as (consumer, _partitions):
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while len(records) < expected and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for items in batch.values():
                records.extend(items)
        return records


async def read_to_end(bootstrap: str, topic: str, timeout: float = 30.0) -> list[Any]:
    """Every record of `topic` published before the call: to tell that something was not published."""
    async with assigned(bootstrap, topic) as (consumer, partitions):
        ends = await consumer.end_offsets(partitions)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            assert time.monotonic() < deadline, f"{topic} not read to its end within {timeout}s"
            for items in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(items)
        return records


def data_of(records: list[Any], model: type[Payload]) -> list[dict[str, Any]]:
    """The payloads of the `model` events among `records`, as JSON; a topic may be shared with the fuzz
    test, whose garbage (and ill-formed events of the same types) is skipped."""
    found = []
    for record in records:
        with contextlib.suppress(ValidationError, UnknownEventError):
            envelope = Envelope.model_validate_json(record.value or b"")
            if envelope.type == model.event_type:
                found.append(parse(envelope, model).model_dump(mode="json"))
    return found


class Counting:
    """A unit's connection that notes each statement it executes with its parameters (a list for
    several rows at once), then executes it on the real connection."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self.executed: list[tuple[Any, Any]] = []

    async def execute(self, statement: Any, parameters: Any = None, **kwargs: Any) -> Any:
        self.executed.append((statement, parameters))
        return await self._session.execute(statement, parameters, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


@contextlib.contextmanager
def statements_sent() -> Iterator[list[tuple[str, Any]]]:
    """Every statement that any engine sends to its database meanwhile, as sent (SAVEPOINT and RELEASE
    included), with its parameters: a list of one set a row for several rows in one statement."""
    sent: list[tuple[str, Any]] = []

    def noted(_connection: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        sent.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", noted)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", noted)


async def sqlite_plan(
    session: AsyncConnection, statement: Select[Any] | Update | Delete, values: dict[str, Any]
) -> list[str]:
    """SQLite's query plan for `statement` with `values` (EXPLAIN QUERY PLAN), a line a step: "SEARCH
    <table> USING INDEX ..." reads through an index, "SCAN <table>" reads the whole table."""

    def explain(connection: Any) -> list[str]:
        expanded = statement.compile(dialect=connection.dialect).construct_expanded_state(values)
        return _plan(connection, expanded.statement, expanded.positional_parameters)

    return await session.run_sync(explain)


async def sqlite_plan_as_sent(session: AsyncConnection, sql: str, parameters: Any) -> list[str]:
    """`sqlite_plan` of a statement as it was sent (`statements_sent`)."""
    return await session.run_sync(lambda connection: _plan(connection, sql, parameters))


def _plan(connection: Any, sql: str, parameters: Any) -> list[str]:
    return [str(row[3]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)]
