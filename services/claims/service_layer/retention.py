"""Retention: a claim is kept 12 months after its receipt (Monaco dates), then purged with its status
history. Runs at start and then periodically; `now` is injected so that tests choose the day."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from runtime.messaging.uow import UnitOfWork
from runtime.periodic import every
from services.claims.adapters.history import purge_claims_before
from services.claims.domain.history import retention_cutoff

log = logging.getLogger(__name__)


async def purge_expired(uow: UnitOfWork, now: datetime, months: int = 12) -> int:
    async with uow() as unit:
        purged = await purge_claims_before(unit.session, retention_cutoff(now, months))
    if purged:
        log.info("retention: purged %d claims older than %d months", purged, months)
    return purged


async def run_periodically(uow: UnitOfWork, months: int, interval_seconds: float) -> None:
    await every(interval_seconds, lambda: purge_expired(uow, datetime.now(UTC), months), "retention")
