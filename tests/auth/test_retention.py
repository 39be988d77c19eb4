"""Retention: a session's row goes `AUTH_SESSION_RETENTION_DAYS` after the session began, ended or not,
oldest first and a batch a transaction, through an index; on SQLite and PostgreSQL. Without it every
login stayed for ever, and ending all of a user's sessions named every session the user ever had."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from services.auth.adapters import repository
from services.auth.adapters.orm import sessions
from services.auth.service_layer.retention import purge_expired
from services.auth.settings import Settings
from tests.auth.conftest import Auth, running
from tests.helpers import eventually, sqlite_plan

pytestmark = pytest.mark.broker

DAYS = 30


@pytest.fixture
async def auth(database_url: str, data_dir: Path, kafka_bootstrap: str) -> AsyncIterator[Auth]:
    """The service keeping sessions a century: its own job, whenever it runs, deletes none of those the
    tests make; they run the purge themselves, or start a second service with the default."""
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        session_retention_days=36_500,
    )
    async with running(settings) as service:
        yield service


async def begun(auth: Auth, user_id: str, at: datetime, *, ended: bool = False) -> str:
    async with auth.runtime.uow() as unit:
        session_id, _handle = await repository.open_session(unit.session, user_id, "full", at)
        if ended:
            await repository.end_session(unit.session, session_id, at + timedelta(hours=1))
    return session_id


async def kept(auth: Auth) -> set[str]:
    async with auth.runtime.sessions() as session:
        return set((await session.execute(select(sessions.c.id))).scalars())


async def test_sessions_past_retention_go_ended_or_not_oldest_first_a_batch_a_transaction(auth: Auth) -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    past = now - timedelta(days=DAYS)
    made = {  # made newest first, so that deleting in any order but the oldest first fails
        name: await begun(auth, "user-1", past - age, ended=ended)
        for name, age, ended in [
            ("ended-1h", timedelta(hours=1), True),
            ("open-2h", timedelta(hours=2), False),
            ("ended-3d", timedelta(days=3), True),
            ("open-4d", timedelta(days=4), False),
        ]
    }
    recent = await begun(auth, "user-1", past + timedelta(hours=1))

    async with auth.runtime.uow() as unit:
        assert await repository.purge_sessions_before(unit.session, past, limit=2) == 2
    assert await kept(auth) == {made["ended-1h"], made["open-2h"], recent}  # the two oldest went

    assert await purge_expired(auth.runtime.uow, now, DAYS, batch=1) == 2  # one, one, then none
    assert await kept(auth) == {recent}
    assert await purge_expired(auth.runtime.uow, now, DAYS) == 0


async def test_ending_all_of_a_users_sessions_names_only_those_retention_kept(auth: Auth) -> None:
    now = datetime.now(UTC)
    for days_ago in (DAYS + 1, DAYS + 2, DAYS + 3):  # never ended: their user let them expire
        await begun(auth, "user-2", now - timedelta(days=days_ago))
    alive = await begun(auth, "user-2", now - timedelta(hours=1))

    assert await purge_expired(auth.runtime.uow, now, DAYS) == 3
    async with auth.runtime.uow() as unit:
        assert await repository.end_all_sessions(unit.session, "user-2", now) == [alive]


async def test_the_service_deletes_sessions_past_retention_as_it_starts(
    auth: Auth, database_url: str, data_dir: Path, kafka_bootstrap: str
) -> None:
    now = datetime.now(UTC)
    old = await begun(auth, "user-3", now - timedelta(days=DAYS + 1), ended=True)
    young = await begun(auth, "user-3", now - timedelta(days=DAYS - 1))
    assert await kept(auth) == {old, young}
    default = Settings(data_dir=data_dir, database_url=database_url, kafka_bootstrap_servers=kafka_bootstrap)

    async with running(default):  # a second instance, with the default retention
        assert await eventually(lambda: only(auth, {young}))


async def only(auth: Auth, ids: set[str]) -> bool:
    return await kept(auth) == ids


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the query plan read is SQLite's
async def test_sqlite_finds_the_oldest_sessions_through_the_time_they_began(auth: Auth) -> None:
    async with auth.runtime.sessions() as session:
        plan = await sqlite_plan(session, repository.OLDEST_SESSIONS, {"cutoff": "2026-01-01", "limit": 1000})

    assert plan == ["SEARCH sessions USING INDEX ix_sessions_created_at (created_at<?)"]


def test_sessions_are_kept_longer_than_they_can_live(data_dir: Path) -> None:
    Settings(data_dir=data_dir, session_retention_days=1, absolute_timeout_hours=23)
    with pytest.raises(
        ValidationError,
        match=r"session_retention_days: 1 \(24 hours\) must be longer than the absolute timeout \(24 hours\)",
    ):
        Settings(data_dir=data_dir, session_retention_days=1, absolute_timeout_hours=24)
