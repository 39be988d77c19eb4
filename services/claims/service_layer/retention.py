"""Retention: a claim is kept 12 months after its receipt (Monaco dates), then purged with its status
history, oldest first and a thousand a transaction. Runs at start and then every hour
(`ServiceDefinition.jobs`); `now` is injected so that tests choose the day."""

from __future__ import annotations

from datetime import datetime

from runtime.messaging.uow import Unit, UnitOfWork
from runtime.periodic import in_batches
from services.claims.adapters.history import purge_claims_before
from services.claims.domain.history import retention_cutoff


async def purge_expired(uow: UnitOfWork, now: datetime, months: int = 12, batch: int = 1_000) -> int:
    """Purge what is past retention, `batch` claims a transaction; returns how many claims."""
    cutoff = retention_cutoff(now, months)

    async def step(unit: Unit) -> int:
        return await purge_claims_before(unit.session, cutoff, batch)

    return await in_batches(uow, step, batch, f"claims received more than {months} months ago")
