"""A running service forgets its old inbox rows by itself: started with a retention of ten days, it
deletes the row of an event processed eleven days ago and keeps one processed nine days ago
(`runtime.service` starts the job; `tests/runtime/test_inbox.py` tests the job on its own)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from runtime.messaging.uow import UnitOfWork
from services.eligibility.adapters.orm import messaging
from services.eligibility.settings import Settings
from tests.eligibility.conftest import running
from tests.helpers import eventually

pytestmark = pytest.mark.broker


async def test_a_started_service_forgets_inbox_rows_older_than_its_retention(
    settings: Settings, uow: UnitOfWork
) -> None:
    now = datetime.now(UTC)
    old, recent = uuid.uuid4(), uuid.uuid4()
    async with uow() as unit:
        rows = [
            {"event_id": old, "consumer": "eligibility", "processed_at": now - timedelta(days=11)},
            {"event_id": recent, "consumer": "eligibility", "processed_at": now - timedelta(days=9)},
        ]
        await unit.session.execute(messaging.inbox.insert(), rows)

    async def remembered() -> set[uuid.UUID]:
        async with uow() as unit:
            return set((await unit.session.execute(select(messaging.inbox.c.event_id))).scalars())

    assert await remembered() == {old, recent}
    ten_days = settings.model_copy(update={"inbox_retention_days": 10})
    async with running(ten_days):
        await eventually(lambda: _without(remembered(), old), timeout=30)
    assert await remembered() == {recent}


async def _without(events: Awaitable[set[uuid.UUID]], event: uuid.UUID) -> bool:
    return event not in await events
