"""Inbox retention on SQLite and PostgreSQL: an event processed more than the retention ago is
forgotten (processed again if it ever came back), a newer one is still recognised; and the periodic
runner that does it every hour goes on after a failed round."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import MetaData, select

from runtime import db, periodic
from runtime.messaging.inbox import forget_processed
from runtime.messaging.tables import MessagingTables, messaging_tables
from runtime.messaging.uow import UnitOfWork

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
async def inbox(database_url: str) -> AsyncIterator[tuple[UnitOfWork, MessagingTables]]:
    metadata = MetaData()
    tables = messaging_tables(metadata)
    engine = db.make_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield UnitOfWork(db.sessions(engine), tables, "tests"), tables
    await engine.dispose()


async def test_events_processed_before_the_retention_are_forgotten(
    inbox: tuple[UnitOfWork, MessagingTables],
) -> None:
    uow, tables = inbox
    ages = {uuid.uuid4(): timedelta(days=days) for days in (45, 31, 29, 1)}
    async with uow() as unit:
        rows = [{"event_id": i, "consumer": "c", "processed_at": NOW - age} for i, age in ages.items()]
        await unit.session.execute(tables.inbox.insert(), rows)
    old = {i for i, age in ages.items() if age > timedelta(days=30)}

    assert await forget_processed(uow, tables, 30, now=NOW, batch=1) == 2  # one a transaction
    assert await forget_processed(uow, tables, 30, now=NOW) == 0
    async with uow() as unit:
        kept = set((await unit.session.execute(select(tables.inbox.c.event_id))).scalars())
        assert kept == set(ages) - old
        assert await unit.first_time("c", ages) == old  # a forgotten event would be processed again


async def test_the_periodic_runner_goes_on_after_a_failed_round_and_meters_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rounds: list[int] = []
    fourth = asyncio.Event()
    registry = CollectorRegistry()

    async def job() -> int:
        rounds.append(len(rounds))
        if len(rounds) > 4:
            await asyncio.Event().wait()  # a fifth round never ends: the counts below are exact
        if len(rounds) == 2:
            raise RuntimeError("database away")
        if len(rounds) == 4:
            fourth.set()
        return 10 * len(rounds)  # rows deleted: 10, then 30 and 40

    started = time.time()
    task = asyncio.create_task(periodic.every(0.01, job, "test job", periodic.JobMeters(registry)))
    with caplog.at_level(logging.WARNING, logger="runtime.periodic"):
        await asyncio.wait_for(fourth.wait(), 10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    assert "test job failed (RuntimeError); retrying later" in caplog.text

    def sample(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, {"task": "test job", **labels})

    assert sample("fse_periodic_rounds_total", outcome="ok") == 3
    assert sample("fse_periodic_rounds_total", outcome="failed") == 1
    assert sample("fse_periodic_deleted_rows_total") == 80
    last = sample("fse_periodic_last_success_timestamp_seconds")
    assert last is not None
    assert started <= last <= time.time()


async def test_a_job_that_never_succeeds_still_shows_and_its_first_failure_counts() -> None:
    """Its series exist from its start (an alert on the time since the last success then fires), and a
    failure counted from 0 shows in `increase()`, which ignores a series' first sample."""
    registry = CollectorRegistry()
    failed = asyncio.Event()

    async def job() -> int:
        failed.set()
        raise RuntimeError("database away")

    started = time.time()
    task = asyncio.create_task(periodic.every(60, job, "broken", periodic.JobMeters(registry)))
    await asyncio.wait_for(failed.wait(), 10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    def sample(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, {"task": "broken", **labels})

    assert sample("fse_periodic_rounds_total", outcome="ok") == 0
    assert sample("fse_periodic_rounds_total", outcome="failed") == 1
    assert sample("fse_periodic_deleted_rows_total") == 0
    last = sample("fse_periodic_last_success_timestamp_seconds")  # its start: it has not succeeded
    assert last is not None
    assert started <= last <= time.time()
