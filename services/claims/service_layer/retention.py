"""Retention: the service keeps 12 months (Monaco dates), as the portal shows them: a claim after its
receipt, purged with its status history; a form (its medical part with it) after it was sent; an HNP
payment after it was made. Oldest first and a thousand a transaction. Runs at start and then every hour
(`ServiceDefinition.jobs`); `now` is injected so that tests choose the day."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.messaging.uow import Unit, UnitOfWork
from runtime.periodic import in_batches
from services.claims.adapters.forms import purge_forms_before
from services.claims.adapters.history import purge_claims_before
from services.claims.adapters.payments import purge_payments_before
from services.claims.domain.history import retention_cutoff

Purge = Callable[[AsyncConnection, datetime, int], Awaitable[int]]

PURGED: tuple[tuple[Purge, str], ...] = (
    (purge_claims_before, "claims received"),
    (purge_forms_before, "forms sent"),
    (purge_payments_before, "payments made"),
)


async def purge_expired(uow: UnitOfWork, now: datetime, months: int = 12, batch: int = 1_000) -> int:
    """Purge what is past retention, `batch` rows a transaction; returns how many claims, forms and
    payments in all."""
    cutoff = retention_cutoff(now, months)
    purged = 0
    for purge, what in PURGED:

        async def step(unit: Unit, purge: Purge = purge) -> int:
            return await purge(unit.session, cutoff, batch)

        purged += await in_batches(uow, step, batch, f"{what} more than {months} months ago")
    return purged
