"""Retention: a claim is kept 12 months after its receipt (Monaco dates), then purged with its status
history, oldest first and a thousand a transaction. Runs at start and then every hour; `now` is
injected so that tests choose the day."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from runtime.messaging.uow import UnitOfWork
from runtime.periodic import every
from services.claims.adapters.history import purge_claims_before
from services.claims.domain.history import retention_cutoff

log = logging.getLogger(__name__)


async def purge_expired(uow: UnitOfWork, now: datetime, months: int = 12, batch: int = 1_000) -> int:
    """Purge what is past retention, `batch` claims a transaction: the service's own writes (the
    intake) go on between them, where one transaction for a backlog would hold them all up."""
    cutoff, purged = retention_cutoff(now, months), 0
    while True:
        async with uow() as unit:
            deleted = await purge_claims_before(unit.session, cutoff, batch)
        purged += deleted
        if deleted < batch:
            break
        await asyncio.sleep(0)
    if purged:
        log.info("retention: purged %d claims older than %d months", purged, months)
    return purged


async def run_periodically(uow: UnitOfWork, months: int, interval_seconds: float) -> None:
    await every(interval_seconds, lambda: purge_expired(uow, datetime.now(UTC), months), "retention")
