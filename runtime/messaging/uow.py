"""Unit of work: one database transaction holding a service's state change, the events it causes (outbox)
and the ids of the events it consumed (inbox), so that none of them can diverge after a crash."""

from __future__ import annotations

import functools
import itertools
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Executable, Insert, Table
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.envelope import Envelope, Payload
from runtime.db import Sessions
from runtime.messaging.tables import MessagingTables


@functools.cache
def _insert(table: Table) -> Insert:
    return table.insert()


class Unit:
    def __init__(self, session: AsyncConnection, tables: MessagingTables, source: str) -> None:
        self.session = session
        self._tables = tables
        self._source = source
        self._outbox: list[dict[str, Any]] = []
        self._appended: list[tuple[Table, dict[str, Any]]] = []
        self._deferred: list[tuple[Executable, dict[str, Any]]] = []
        self._after: list[Callable[[], None]] = []
        self.prefetched: dict[Any, Any] = {}  # a consumer's reads for the run of events at hand

    def emit(
        self,
        payload: Payload,
        *,
        subject: str,
        cause: Envelope | None = None,
        correlation_id: uuid.UUID | None = None,
    ) -> Envelope:
        """Record an event to publish once this transaction commits. `subject` is the partition key."""
        envelope = Envelope.wrap(
            payload, source=self._source, subject=subject, cause=cause, correlation_id=correlation_id
        )
        self._outbox.append(
            {
                "topic": payload.topic,
                "key": subject,
                "event_id": envelope.id,
                "event_type": envelope.type,
                "body": envelope.model_dump_json().encode(),
                "created_at": envelope.time,
            }
        )
        return envelope

    def withdraw(self, subject: str, model: type[Payload]) -> int:
        """Drop the `model` events about `subject` that this unit recorded and has not committed yet
        (a later event of the same batch made them moot); returns how many were dropped."""
        kept = [row for row in self._outbox if (row["key"], row["event_type"]) != (subject, model.event_type)]
        dropped = len(self._outbox) - len(kept)
        self._outbox = kept
        return dropped

    def append(self, table: Table, row: dict[str, Any]) -> None:
        """Insert `row` into `table` when this unit commits, in one statement with the unit's other rows
        for that table (one statement per row costs ~15 times more per row): for rows that nothing
        reads before the commit, such as a history. Undone with its part, like an event."""
        self._appended.append((table, row))

    def defer(self, statement: Executable, params: dict[str, Any]) -> None:
        """Run `statement` with `params` later in this unit, in one statement with the deferred runs of
        that same statement that follow it (a statement a row costs ~1.5-2 times more a row): at
        `write_deferred`, which whoever reads what it writes calls before reading, at the end of its
        part, or at commit. Undone with its part, like an appended row. Each run takes the same keys."""
        self._deferred.append((statement, params))

    def deferred(self, statement: Executable) -> list[dict[str, Any]]:
        """The parameters of the runs of `statement` deferred and not yet written, in order."""
        return [params for queued, params in self._deferred if queued is statement]

    async def write_deferred(self) -> None:
        """Run the deferred statements now, in the order they were deferred."""
        deferred, self._deferred = self._deferred, []
        for _statement, run in itertools.groupby(deferred, key=lambda item: id(item[0])):
            statements = list(run)
            await self.session.execute(statements[0][0], [params for _same, params in statements])

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once this unit has committed (not at all if it, or its part, is undone): for
        what a process keeps in memory of what it has just written."""
        self._after.append(action)

    @asynccontextmanager
    async def part(self) -> AsyncIterator[None]:
        """A part of this unit that fails alone: on an error its writes (a savepoint, its deferred
        statements run inside it), its appended rows, the events it emitted and its after-commit actions
        are undone, what the unit prefetched is forgotten (read again), and the rest of the unit stands."""
        await self.write_deferred()  # what the unit deferred before the part is not the part's
        marks = len(self._outbox), len(self._appended), len(self._after)
        try:
            async with self.session.begin_nested():
                yield
                await self.write_deferred()
        except BaseException:
            del self._outbox[marks[0] :]
            del self._appended[marks[1] :]
            del self._after[marks[2] :]
            self._deferred.clear()
            self.prefetched.clear()  # what the part marked there as written is not: read it again
            raise

    @property
    def committed_actions(self) -> list[Callable[[], None]]:
        return self._after

    @property
    def outbox(self) -> list[dict[str, Any]]:
        """The outbox rows this unit writes at commit, in the order they were emitted."""
        return self._outbox

    async def first_time(self, consumer: str, event_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Record the events as processed by `consumer` within this unit and return those it had not
        processed before (one statement: the inbox check and the insert at once). On PostgreSQL an
        instance processing the same events meanwhile makes this wait for its commit, then find them."""
        now = datetime.now(UTC)
        rows = [{"event_id": i, "consumer": consumer, "processed_at": now} for i in dict.fromkeys(event_ids)]
        if not rows:
            return set()
        statement = self._tables.record_processed(self.session.dialect.name)
        return set((await self.session.execute(statement, rows)).scalars())

    async def flush(self) -> None:
        """Write the deferred statements, the appended rows (in the order they were appended, per
        table) and the events."""
        await self.write_deferred()
        rows: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
        for table, row in self._appended:
            rows.setdefault((table, tuple(row)), []).append(row)
        for (table, _columns), values in rows.items():
            await self.session.execute(_insert(table), values)
        if self._outbox:
            await self.session.execute(_insert(self._tables.outbox), self._outbox)


Committed = Callable[[Sequence[Mapping[str, Any]]], None]
"""Told of the outbox rows of each unit that commits with events, right after its commit."""


class UnitOfWork:
    def __init__(
        self,
        sessions: Sessions,
        tables: MessagingTables,
        source: str,
        on_commit: Committed = lambda _rows: None,
    ) -> None:
        self._sessions = sessions
        self._tables = tables
        self._source = source
        self.on_commit = on_commit

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[Unit]:
        async with self._sessions.writing() as session:
            unit = Unit(session, self._tables, self._source)
            yield unit
            await unit.flush()
        if unit.outbox:
            self.on_commit(unit.outbox)
        for action in unit.committed_actions:
            action()
