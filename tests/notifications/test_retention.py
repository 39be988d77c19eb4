"""Retention: a notice made more than `NOTIFICATIONS_RETENTION_DAYS` ago goes with its e-mails (and
their addresses), oldest first and a batch a transaction, unless one of its e-mails is still being
tried; on SQLite and PostgreSQL, through indexes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from services.notifications.adapters import notices as repository
from services.notifications.adapters.notices import NoticeRepository
from services.notifications.adapters.orm import deliveries, notices
from services.notifications.domain.notices import Notice
from services.notifications.service_layer.retention import purge_expired
from services.notifications.settings import Settings
from tests.helpers import eventually, sqlite_plan
from tests.notifications.conftest import Harness

pytestmark = pytest.mark.broker

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
DAYS = 366


async def made(service: Harness, key: str, at: datetime, status: str = "pending", emails: int = 1) -> None:
    async with service.runtime.uow() as unit:
        notices_ = NoticeRepository.of(unit)
        await notices_.add(Notice(key, "insured", "insured:CCSS:1:0", "Avis", "Bonjour"), status, at)
        for n in range(emails):
            notices_.add_delivery(f"{key}:{n}", key, f"{n}@example.org", f"<{key}:{n}@tests>", at)


async def settle(service: Harness, key: str, emails: int = 1, *, retry_at: datetime | None = None) -> None:
    """Each e-mail of the notice sent, or failed for good, or (`retry_at`) failed and to be tried again."""
    async with service.runtime.uow() as unit:
        notices_ = NoticeRepository(unit.session)
        for n in range(emails):
            if key.startswith("sent") and retry_at is None:
                await notices_.mark_sent(f"{key}:{n}", key, 1, NOW)
            else:
                await notices_.mark_failed(f"{key}:{n}", key, 1, "refused", retry_at)


async def kept(service: Harness) -> tuple[set[str], set[str]]:
    async with service.runtime.sessions() as session:
        notice_keys = set((await session.execute(select(notices.c.key))).scalars())
        delivery_keys = set((await session.execute(select(deliveries.c.notice_key))).scalars())
    return notice_keys, delivery_keys


async def test_notices_past_retention_go_with_their_emails_oldest_first_a_batch_a_transaction(
    durable_service: Harness,
) -> None:
    service = durable_service
    # The service's own job, as it starts, would delete with today's date what is made here: this test
    # runs the purge itself, with its own date.
    service.settings = service.settings.model_copy(update={"retention_days": 100 * DAYS})
    await service.start()
    await service.worker.stop()  # the e-mails made here are settled by the test, never sent
    past = NOW - timedelta(days=DAYS)
    for key, days_before in [("failed", 1), ("sent-b", 2), ("sent-a", 3)]:  # made newest first
        await made(service, key, past - timedelta(days=days_before), emails=2)
        await settle(service, key, emails=2)
    await made(service, "sent-c", past - timedelta(hours=2))
    await settle(service, "sent-c")
    await made(service, "undeliverable", past - timedelta(hours=1), status="undeliverable", emails=0)
    await made(service, "retrying", past - timedelta(days=30))  # its e-mail waits for another try
    await settle(service, "retrying", retry_at=NOW + timedelta(days=1))
    await made(service, "sent-recent", past + timedelta(hours=1))
    await settle(service, "sent-recent")

    async with service.runtime.uow() as unit:
        assert await NoticeRepository(unit.session).purge_before(past, limit=2) == 2
    assert await kept(service) == (  # the two oldest that are settled
        {"failed", "sent-c", "undeliverable", "retrying", "sent-recent"},
        {"failed", "sent-c", "retrying", "sent-recent"},
    )

    assert await purge_expired(service.runtime.uow, NOW, DAYS, batch=2) == 3  # two, then one
    assert await kept(service) == ({"retrying", "sent-recent"}, {"retrying", "sent-recent"})

    await settle(service, "retrying")  # failed for good: nothing more to try
    assert await purge_expired(service.runtime.uow, NOW, DAYS) == 1
    assert await kept(service) == ({"sent-recent"}, {"sent-recent"})


async def test_the_service_deletes_what_is_past_retention_as_it_starts(durable_service: Harness) -> None:
    service = durable_service
    await service.start()
    await service.worker.stop()  # the e-mails made here are settled by the test, never sent
    now = datetime.now(UTC)
    await made(service, "sent-old", now - timedelta(days=service.settings.retention_days + 1))
    await settle(service, "sent-old")
    await made(service, "sent-new", now - timedelta(days=service.settings.retention_days - 1))
    await settle(service, "sent-new")
    assert await kept(service) == ({"sent-old", "sent-new"}, {"sent-old", "sent-new"})
    await service.stop()

    await service.start()
    assert await eventually(lambda: at_most_the_new_one_kept(service))
    assert await kept(service) == ({"sent-new"}, {"sent-new"})


async def at_most_the_new_one_kept(service: Harness) -> bool:
    return (await kept(service))[0] == {"sent-new"}


async def test_expired_notices_are_found_and_deleted_through_indexes(service: Harness) -> None:
    """The oldest notices in the order of their index, each one's pending e-mails looked up through
    its own e-mails: never every notice or every e-mail read (a backlog of a year's notices)."""
    async with service.runtime.sessions() as session:
        found = await sqlite_plan(session, repository._EXPIRED, {"cutoff": NOW, "limit": 1000})
        forget = await sqlite_plan(session, repository._FORGET_DELIVERIES, {"keys": ["a", "b"]})

    assert found == [
        "SEARCH notices USING INDEX ix_notices_created_at (created_at<?)",
        "CORRELATED SCALAR SUBQUERY 1",
        "SEARCH deliveries USING INDEX ix_deliveries_notice_status (notice_key=? AND status=?)",
    ]
    assert forget == ["SEARCH deliveries USING INDEX ix_deliveries_notice_status (notice_key=?)"]


def test_notices_are_kept_longer_than_the_inbox_remembers_their_events(data_dir: Path) -> None:
    """Else an event delivered again after its notice was deleted would send the notice again."""
    Settings(data_dir=data_dir, retention_days=31, inbox_retention_days=30)
    with pytest.raises(ValidationError, match=r"retention_days: 30 must be more than the inbox's retention"):
        Settings(data_dir=data_dir, retention_days=30, inbox_retention_days=30)
