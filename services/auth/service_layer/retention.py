"""Retention: a session's row is kept `days` after the session began (30 by default), then deleted,
ended or not, oldest first and a thousand a transaction; no session lives past the absolute timeout.
Without it every login stayed for ever, and ending all of a user's sessions at once (deactivation,
password reset) named every session the user ever had. Runs at start and then every hour
(`ServiceDefinition.jobs`); `now` is injected so that tests choose the day."""

from __future__ import annotations

from datetime import datetime, timedelta

from runtime.messaging.uow import Unit, UnitOfWork
from runtime.periodic import in_batches
from services.auth.adapters.repository import purge_sessions_before


async def purge_expired(uow: UnitOfWork, now: datetime, days: int, batch: int = 1_000) -> int:
    """Delete the sessions begun more than `days` ago, `batch` a transaction; returns how many."""
    cutoff = now - timedelta(days=days)

    async def step(unit: Unit) -> int:
        return await purge_sessions_before(unit.session, cutoff, batch)

    return await in_batches(uow, step, batch, f"sessions begun more than {days} days ago")
