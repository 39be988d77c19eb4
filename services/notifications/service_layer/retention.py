"""Retention: a notice is kept `days` after it was made (a year by default, as long as the claims'
history), then deleted with its e-mails and their addresses, oldest first and a thousand a transaction.
A notice whose e-mails are still being tried stays until they are settled. Runs at start and then
every hour (`ServiceDefinition.jobs`); `now` is injected so that tests choose the day."""

from __future__ import annotations

from datetime import datetime, timedelta

from runtime.messaging.uow import Unit, UnitOfWork
from runtime.periodic import in_batches
from services.notifications.adapters.notices import NoticeRepository


async def purge_expired(uow: UnitOfWork, now: datetime, days: int, batch: int = 1_000) -> int:
    """Delete the notices made more than `days` ago, `batch` a transaction; returns how many notices."""
    cutoff = now - timedelta(days=days)

    async def step(unit: Unit) -> int:
        return await NoticeRepository(unit.session).purge_before(cutoff, batch)

    return await in_batches(uow, step, batch, f"notices made more than {days} days ago, with their e-mails")
