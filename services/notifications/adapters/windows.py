"""Maintenance windows as stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifications.adapters.orm import maintenance_windows as windows
from services.notifications.domain.maintenance import Window


def _window(row: Any) -> Window:
    return Window(row.window_id, row.starts_at, row.ends_at, row.reason, row.cancelled)


class WindowRepository:
    def __init__(self, session: AsyncConnection) -> None:
        self.session = session

    async def get(self, window_id: str) -> tuple[Window, int] | None:
        """The window and its version (every change announces a new version)."""
        row = (await self.session.execute(select(windows).where(windows.c.window_id == window_id))).first()
        return None if row is None else (_window(row), row.version)

    async def not_over(self, now: datetime) -> list[Window]:
        rows = await self.session.execute(
            select(windows)
            .where(windows.c.cancelled.is_(False), windows.c.ends_at > now)
            .order_by(windows.c.starts_at)
        )
        return [_window(row) for row in rows]

    async def add(self, window: Window, by: str, now: datetime) -> None:
        await self.session.execute(
            windows.insert().values(
                window_id=window.window_id,
                starts_at=window.starts_at,
                ends_at=window.ends_at,
                reason=window.reason,
                cancelled=False,
                version=1,
                updated_by=by,
                updated_at=now,
            )
        )

    async def save(self, window: Window, version: int, by: str, now: datetime) -> None:
        await self.session.execute(
            update(windows)
            .where(windows.c.window_id == window.window_id)
            .values(
                starts_at=window.starts_at,
                ends_at=window.ends_at,
                reason=window.reason,
                cancelled=window.cancelled,
                version=version,
                updated_by=by,
                updated_at=now,
            )
        )
