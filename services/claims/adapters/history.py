"""Queries of the history: SQL filters (and paging) on clear columns, the act filter on the decrypted
content, read in chunks so that a large export never sits whole in memory."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.periodic import oldest_before
from services.claims.adapters.orm import claims, status_changes
from services.claims.domain.history import HistoryFilter

CHUNK = 500


def _query(wanted: HistoryFilter, since: datetime) -> Select[Any]:
    c = claims.c
    query = select(claims).where(c.practitioner_id == wanted.practitioner_id, c.received_at >= since)
    if wanted.date_from:
        query = query.where(c.first_date_of_care >= wanted.date_from)
    if wanted.date_to:
        query = query.where(c.first_date_of_care <= wanted.date_to)
    if wanted.patient:
        query = query.where(c.patient_fingerprint == wanted.patient)
    if wanted.status:
        query = query.where(c.status == wanted.status)
    if wanted.fund:
        query = query.where(c.fund == wanted.fund)
    return query.order_by(c.received_at.desc(), c.reference)


def _has_act(row: Any, act: str | None) -> bool:
    return act is None or any(line["code"] == act for line in row.content["acts"])


async def stream_history(
    session: AsyncConnection, wanted: HistoryFilter, since: datetime
) -> AsyncGenerator[Any, None]:
    result = await session.stream(_query(wanted, since).execution_options(yield_per=CHUNK))
    try:
        async for chunk in result.partitions():
            for row in chunk:
                if _has_act(row, wanted.act):
                    yield row
    finally:  # a page found before the end leaves the rest unread: PostgreSQL's cursor closed now
        await result.close()


async def page_of_history(
    session: AsyncConnection, wanted: HistoryFilter, since: datetime, limit: int, offset: int
) -> list[Any]:
    """Without an act filter the database pages; with one, the rows are read in order and the act
    matched on the decrypted content (the acts are stored encrypted, so SQL cannot see them)."""
    if wanted.act is None:
        return list((await session.execute(_query(wanted, since).limit(limit).offset(offset))).all())
    rows: list[Any] = []
    skipped = 0
    async with aclosing(stream_history(session, wanted, since)) as found:
        async for row in found:
            if skipped < offset:
                skipped += 1
                continue
            rows.append(row)
            if len(rows) == limit:
                break
    return rows


async def changes_of(session: AsyncConnection, reference: str) -> Sequence[Any]:
    query = (
        select(status_changes).where(status_changes.c.reference == reference).order_by(status_changes.c.id)
    )
    return (await session.execute(query)).all()


# Through the index on the time of receipt: an hourly run with nothing to purge reads nothing (a scan of
# the claims table took 260-300 ms with 200,000 claims on SQLite, holding up the intake meanwhile).
OLDEST_EXPIRED = oldest_before(claims.c.reference, claims.c.received_at)


async def purge_claims_before(session: AsyncConnection, cutoff: datetime, limit: int) -> int:
    """The oldest claims received before `cutoff`, up to `limit`, deleted with their status history."""
    found = await session.execute(OLDEST_EXPIRED, {"cutoff": cutoff, "limit": limit})
    expired = list(found.scalars())
    if expired:
        await session.execute(delete(status_changes).where(status_changes.c.reference.in_(expired)))
        await session.execute(delete(claims).where(claims.c.reference.in_(expired)))
    return len(expired)
