"""Subjects closed for good, such as a cancelled claim: a consumer records the subject once (recording it
again is harmless) and skips that subject's events that it has not processed yet.

A row matters only while an event about its subject may still be waiting in Kafka: rows are kept a week
(Kafka's default retention), then purged whenever another subject is closed, so the table holds about a
week of closures and needs no job of its own."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, MetaData, Select, String, Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.db import UtcDateTime

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

    async def close(self, session: AsyncConnection, subject: str, closed_at: datetime, now: datetime) -> None:
        """Record `subject` as closed since `closed_at` (once), forgetting closures older than `keep`."""
        table = self.table
        await session.execute(delete(table).where(table.c.closed_at < now - self.keep))
        dialect = postgresql if session.dialect.name == "postgresql" else sqlite
        await session.execute(
            dialect.insert(table).values(subject=subject, closed_at=closed_at).on_conflict_do_nothing()
        )

    async def is_closed(self, session: AsyncConnection, subject: str) -> bool:
        return (await session.execute(self._lookup, {"subject": subject})).first() is not None

    @functools.cached_property
    def _lookup(self) -> Select[Any]:
        return select(self.table.c.subject).where(self.table.c.subject == bindparam("subject"))
