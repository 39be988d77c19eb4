"""Reading the ordered status changes that the server-sent event streams deliver."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.claims.adapters.orm import status_changes


async def changes_after(
    session: AsyncConnection, practitioner_id: str, after: int, reference: str | None = None, limit: int = 200
) -> Sequence[Any]:
    query = (
        select(status_changes)
        .where(status_changes.c.practitioner_id == practitioner_id, status_changes.c.id > after)
        .order_by(status_changes.c.id)
        .limit(limit)
    )
    if reference is not None:
        query = query.where(status_changes.c.reference == reference)
    return (await session.execute(query)).all()


async def latest_change(session: AsyncConnection) -> int:
    return int((await session.execute(select(func.coalesce(func.max(status_changes.c.id), 0)))).scalar_one())


class ChangeSignal:
    """Wakes this process's open event streams when one of its units of work commits events, so that
    a decision reaches the front end at once; streams still look every few seconds for changes that
    another instance (or a unit without events) committed."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, at_most: float) -> bool:
        """True when woken by a commit, False after `at_most` seconds without one."""
        event = self._event
        try:
            async with asyncio.timeout(at_most):
                await event.wait()
        except TimeoutError:
            return False
        return True
