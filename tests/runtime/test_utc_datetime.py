"""`UtcDateTime`: an aware UTC time on both databases; on SQLite, the text SQLAlchemy's own `DateTime`
writes there, so that rows written before and after read alike and compare as text in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, insert, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import StatementError

from runtime import db

metadata = MetaData()
times = Table("times", metadata, Column("id", Integer, primary_key=True), Column("at", db.UtcDateTime))

MONACO_WINTER = timezone(timedelta(hours=1))
MOMENTS = [
    datetime(2026, 12, 7, 21, 55, 1, 123456, tzinfo=MONACO_WINTER),
    datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),  # no microseconds: still six digits of them
    datetime(1999, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),  # the day before in UTC
    datetime(2, 3, 4, 5, 6, 7, 8, tzinfo=UTC),  # a year of one digit: still four
]


async def test_a_time_reads_back_as_the_same_utc_instant(database_url: str) -> None:
    engine = db.make_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            await connection.execute(insert(times), [{"id": i, "at": at} for i, at in enumerate(MOMENTS)])
            read = (await connection.execute(select(times.c.at).order_by(times.c.id))).scalars().all()
            earliest = await connection.execute(select(times.c.id).order_by(times.c.at).limit(1))
            assert earliest.scalar_one() == MOMENTS.index(min(MOMENTS))
    finally:
        await engine.dispose()
    assert read == MOMENTS
    assert all(at.utcoffset() == timedelta(0) for at in read)


async def test_sqlite_keeps_the_text_of_sqlalchemys_datetime(tmp_path: object) -> None:
    own = DateTime().dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
    assert own is not None
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path}/times.db")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            await connection.execute(insert(times), [{"id": i, "at": at} for i, at in enumerate(MOMENTS)])
            stored = (await connection.execute(text("SELECT at FROM times ORDER BY id"))).scalars().all()
            # A row written in SQLAlchemy's own format (before this type wrote its text) reads alike.
            await connection.execute(text("UPDATE times SET at = '2026-12-07 20:55:01' WHERE id = 0"))
            older = (await connection.execute(select(times.c.at).where(times.c.id == 0))).scalar_one()
    finally:
        await engine.dispose()
    assert stored == [own(at.astimezone(UTC)) for at in MOMENTS]
    assert stored[1] == "2026-12-31 23:59:59.000000"
    assert older == datetime(2026, 12, 7, 20, 55, 1, tzinfo=UTC)


async def test_a_time_without_a_zone_is_refused(database_url: str) -> None:
    engine = db.make_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            with pytest.raises(StatementError, match="a time zone is required"):
                await connection.execute(insert(times), [{"id": 1, "at": datetime(2026, 12, 7, 20, 0)}])
    finally:
        await engine.dispose()
