"""Retention of the lookups' traces, run at start and then every hour (`ServiceDefinition.jobs`); `now` is
injected so that tests choose the day.

- A lookup's audit row is kept `days` after the lookup (366 by default: a year, about as long as the
  claims' 12 months; a deployment that must set every kept claim beside the lookups before it keeps
  them longer), then deleted, oldest first and a thousand a transaction. Without it the table grew
  with every lookup for ever.
- A failure counter is deleted once spent (its window over and no lock running): the next failure
  starts a new count either way. Without it every matricule and caller that ever failed kept a row."""

from __future__ import annotations

from datetime import datetime, timedelta

from runtime.messaging.uow import Unit, UnitOfWork
from runtime.periodic import in_batches
from services.eligibility.adapters.guard import forget_spent_counters, purge_lookups_before


async def purge_expired_lookups(uow: UnitOfWork, now: datetime, days: int, batch: int = 1_000) -> int:
    """Delete the lookups audited more than `days` ago, `batch` a transaction; returns how many."""
    cutoff = now - timedelta(days=days)

    async def step(unit: Unit) -> int:
        return await purge_lookups_before(unit.session, cutoff, batch)

    return await in_batches(uow, step, batch, f"lookups audited more than {days} days ago")


async def forget_spent(uow: UnitOfWork, now: datetime, window: timedelta, batch: int = 1_000) -> int:
    """Delete the failure counters spent at `now`, `window` being the longest of the limits' windows,
    `batch` a transaction; returns how many (a counter renewed meanwhile is kept)."""

    async def step(unit: Unit) -> int:
        return await forget_spent_counters(unit.session, now, now - window, batch)

    return await in_batches(uow, step, batch, "spent failure counters")
