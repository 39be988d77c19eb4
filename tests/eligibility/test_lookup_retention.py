"""Retention of the lookups' traces, on SQLite and PostgreSQL: a lookup's audit row goes
`ELIGIBILITY_LOOKUP_AUDIT_RETENTION_DAYS` after the lookup, oldest first and a batch a transaction; a
failure counter goes once spent (window over, no lock running); both through an index. Without it both
tables grew with every lookup and every failing matricule or caller for ever."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from runtime.crypto import fingerprint
from runtime.messaging.uow import UnitOfWork
from services.eligibility.adapters import guard
from services.eligibility.adapters.orm import lookup_audit, throttles
from services.eligibility.domain.throttle import Counter
from services.eligibility.service_layer.retention import forget_spent, purge_expired_lookups
from services.eligibility.settings import Settings
from tests.eligibility.conftest import running
from tests.helpers import eventually, sqlite_plan

pytestmark = pytest.mark.broker

DAYS = 366
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
WINDOW = timedelta(minutes=60)
ACTOR = ("dr.test", "practitioner", "P-1")


async def audited(uow: UnitOfWork, at: datetime, matricule: str) -> None:
    async with uow() as unit:
        await guard.GuardRepository(unit.session).audit(at, ACTOR, "CCSS", matricule, "refused")


async def audit_kept(uow: UnitOfWork) -> set[str]:
    async with uow() as unit:
        return set((await unit.session.execute(select(lookup_audit.c.matricule))).scalars())


async def counted(uow: UnitOfWork, name: str, window_start: datetime, blocked_until: datetime | None) -> None:
    row = {"key": key(name), "failures": 3, "window_start": window_start, "blocked_until": blocked_until}
    async with uow() as unit:
        await unit.session.execute(throttles.insert().values(**row))


async def counters_kept(uow: UnitOfWork) -> set[bytes]:
    async with uow() as unit:
        return set((await unit.session.execute(select(throttles.c.key))).scalars())


def key(name: str) -> bytes:
    return fingerprint(f"throttle:caller:{name}")


async def test_lookups_past_retention_go_oldest_first_a_batch_a_transaction(uow: UnitOfWork) -> None:
    past = NOW - timedelta(days=DAYS)
    # Made newest first, so that deleting in any order but the oldest first fails.
    for matricule, age in [("1", timedelta(hours=1)), ("2", timedelta(hours=2)), ("3", timedelta(days=3))]:
        await audited(uow, past - age, matricule)
    await audited(uow, past - timedelta(days=4), "4")
    await audited(uow, past + timedelta(hours=1), "recent")

    async with uow() as unit:
        assert await guard.purge_lookups_before(unit.session, past, limit=2) == 2
    assert await audit_kept(uow) == {"1", "2", "recent"}  # the two oldest went

    assert await purge_expired_lookups(uow, NOW, DAYS, batch=1) == 2  # one, one, then none
    assert await audit_kept(uow) == {"recent"}
    assert await purge_expired_lookups(uow, NOW, DAYS) == 0


async def test_spent_counters_go_and_those_that_still_count_or_lock_stay(uow: UnitOfWork) -> None:
    await counted(uow, "spent", NOW - 2 * WINDOW, None)
    await counted(uow, "lock ended", NOW - 3 * WINDOW, NOW - WINDOW)
    await counted(uow, "counting", NOW - WINDOW / 2, None)
    await counted(uow, "locked", NOW - 2 * WINDOW, NOW + timedelta(minutes=5))  # a lockout past its window

    assert await forget_spent(uow, NOW, WINDOW, batch=1) == 2
    assert await counters_kept(uow) == {key("counting"), key("locked")}
    assert await forget_spent(uow, NOW + timedelta(minutes=5), WINDOW) == 1  # its lock has ended
    assert await counters_kept(uow) == {key("counting")}


async def test_a_counter_renewed_after_it_was_read_spent_is_kept(uow: UnitOfWork) -> None:
    """A lookup may renew a counter between the retention's read and its delete: the delete checks again."""
    await counted(uow, "renewed", NOW, None)
    async with uow() as unit:
        bounds = {"cutoff": NOW - WINDOW, "now": NOW}
        deleted = await unit.session.execute(guard.FORGET_SPENT, {**bounds, "keys": [key("renewed")]})
    assert deleted.rowcount == 0
    assert await counters_kept(uow) == {key("renewed")}


async def test_lookups_and_the_retention_at_once_never_miss_a_counter(uow: UnitOfWork) -> None:
    """Lookups failing on one key while the retention deletes its spent counter: each lookup finds its
    counter, new or old. With an insert that did nothing on a conflict and then a locking read, the
    retention's delete could fall between them on PostgreSQL (52-85 of 600 lookups failed, four runs)."""
    failures: list[Exception] = []

    async def lookups() -> None:
        for _ in range(300):
            try:
                async with uow() as unit:
                    counters = guard.GuardRepository(unit.session)
                    await counters.counter(key("raced"), NOW)
                    await counters.put_counter(key("raced"), Counter(1, NOW - 2 * WINDOW))  # spent again
            except Exception as error:
                failures.append(error)

    async def retention() -> None:
        for _ in range(300):
            await forget_spent(uow, NOW, WINDOW)

    await asyncio.gather(lookups(), lookups(), retention(), retention())
    assert failures == []


async def test_the_service_deletes_past_retention_as_it_starts(uow: UnitOfWork, settings: Settings) -> None:
    now = datetime.now(UTC)
    await audited(uow, now - timedelta(days=DAYS + 1), "old")
    await audited(uow, now - timedelta(days=DAYS - 1), "young")
    await counted(uow, "spent", now - 2 * settings.longest_throttle_window, None)
    await counted(uow, "counting", now, None)

    async def purged() -> bool:
        return await audit_kept(uow) == {"young"} and await counters_kept(uow) == {key("counting")}

    async with running(settings):
        assert await eventually(purged, timeout=30)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the query plans read are SQLite's
async def test_sqlite_finds_what_to_delete_through_indexes(uow: UnitOfWork) -> None:
    bounds = {"cutoff": NOW, "now": NOW, "limit": 1000}
    async with uow() as unit:
        lookups = await sqlite_plan(unit.session, guard.OLDEST_LOOKUPS, bounds)
        spent = await sqlite_plan(unit.session, guard.SPENT_COUNTERS, bounds)
        forget = await sqlite_plan(unit.session, guard.FORGET_SPENT, {**bounds, "keys": [key("a"), key("b")]})

    assert lookups == ["SEARCH lookup_audit USING COVERING INDEX ix_lookup_audit_at (at<?)"]
    assert spent == ["SEARCH throttles USING INDEX ix_throttles_window_start (window_start<?)"]
    assert forget == ["SEARCH throttles USING INDEX sqlite_autoindex_throttles_1 (key=?)"]
