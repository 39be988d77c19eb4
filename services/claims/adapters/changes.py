"""Reading the ordered status changes that the server-sent event streams deliver."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.claims.adapters.orm import status_changes


async def changes_after(
    session: AsyncSession, practitioner_id: str, after: int, reference: str | None = None, limit: int = 200
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


async def latest_change(session: AsyncSession) -> int:
    return int((await session.execute(select(func.coalesce(func.max(status_changes.c.id), 0)))).scalar_one())
