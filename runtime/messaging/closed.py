"""Subjects closed for good, such as a cancelled claim: a consumer records the subject once (recording it
again is harmless) and skips that subject's events that it has not processed yet.

A row matters only while an event about its subject may still be waiting in Kafka: rows are kept a week
(Kafka's default retention), then purged whenever another subject is closed, so the table holds about a
week of closures and needs no job of its own."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, MetaData, Select, String, Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.db import UtcDateTime
from runtime.messaging.uow import Unit

KEEP = timedelta(days=7)


def closed_subjects_table(metadata: MetaData, name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("subject", String(200), primary_key=True),
        Column("closed_at", UtcDateTime, nullable=False, index=True),
    )


@dataclass(frozen=True)
class ClosedSubjects:
    table: Table
    keep: timedelta = KEEP

    async def close(self, unit: Unit, subject: str, closed_at: datetime, now: datetime) -> None:
        """Record `subject` as closed since `closed_at` (once), forgetting closures older than `keep`."""
        table, session = self.table, unit.session
        await session.execute(delete(table).where(table.c.closed_at < now - self.keep))
        dialect = postgresql if session.dialect.name == "postgresql" else sqlite
        await session.execute(
            dialect.insert(table).values(subject=subject, closed_at=closed_at).on_conflict_do_nothing()
        )
        looked_up = unit.prefetched.get(self)
        if looked_up is not None:
            unit.prefetched[self] = (looked_up[0], looked_up[1] | {subject})

    async def prefetch(self, unit: Unit, subjects: Iterable[str]) -> None:
        """Look up in one statement which of `subjects` are closed, for `is_closed` to answer from: a
        consumer's prefetch for a run of events (runtime.messaging.consumer.Prefetch)."""
        asked = frozenset(subjects)
        unit.prefetched[self] = (asked, await self._closed_among(unit.session, asked))

    async def is_closed(self, unit: Unit, subject: str) -> bool:
        asked, closed = unit.prefetched.get(self, (frozenset(), frozenset()))
        if subject not in asked:
            closed = await self._closed_among(unit.session, [subject])
        return subject in closed

    async def _closed_among(self, session: AsyncConnection, subjects: Iterable[str]) -> frozenset[str]:
        wanted = list(subjects)
        if not wanted:
            return frozenset()
        return frozenset((await session.execute(self._lookup, {"subjects": wanted})).scalars())

    @functools.cached_property
    def _lookup(self) -> Select[Any]:
        column = self.table.c.subject
        return select(column).where(column.in_(bindparam("subjects", expanding=True)))
