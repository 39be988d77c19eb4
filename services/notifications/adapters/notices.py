"""Notices and their e-mail deliveries: stored once per key, worked until sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifications.adapters.orm import deliveries, notices
from services.notifications.domain.notices import Notice

# Built once: a statement built per call costs about as much again as running it.
_EXISTS = select(notices.c.key).where(notices.c.key == bindparam("key"))
_ADD = notices.insert()
_ADD_DELIVERY = deliveries.insert()
_DUE = (
    select(deliveries, notices.c.subject, notices.c.body)
    .join(notices, notices.c.key == deliveries.c.notice_key)
    .where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= bindparam("now"))
    .order_by(deliveries.c.next_attempt_at, deliveries.c.key)
    .limit(bindparam("limit"))
)
_DUE_LOCKED = _DUE.with_for_update(of=deliveries, skip_locked=True)
_TAKE = (
    update(deliveries)
    .where(
        deliveries.c.key == bindparam("delivery"),
        deliveries.c.status == "pending",
        deliveries.c.next_attempt_at <= bindparam("now"),
    )
    .values(next_attempt_at=bindparam("until"))
)
_SENT = (
    update(deliveries)
    .where(deliveries.c.key == bindparam("delivery"))
    .values(status="sent", attempts=bindparam("attempts"), sent_at=bindparam("now"), last_error=None)
)
_STILL_PENDING = (
    select(deliveries.c.key)
    .where(deliveries.c.notice_key == notices.c.key, deliveries.c.status == "pending")
    .exists()
)
_NOTICE_SENT = (  # once none of its deliveries is pending
    update(notices)
    .where(notices.c.key == bindparam("notice"), notices.c.status == "pending", ~_STILL_PENDING)
    .values(status="sent", sent_at=bindparam("now"))
)


class NoticeRepository:
    def __init__(self, session: AsyncConnection) -> None:
        self.session = session

    async def exists(self, key: str) -> bool:
        found = await self.session.execute(_EXISTS, {"key": key})
        return found.first() is not None

    async def add(self, notice: Notice, status: str, now: datetime) -> None:
        await self.session.execute(
            _ADD,
            {
                "key": notice.key,
                "audience": notice.audience,
                "recipient": notice.recipient,
                "subject": notice.subject,
                "body": notice.body,
                "status": status,
                "attempts": 0,
                "created_at": now,
            },
        )

    async def add_delivery(
        self, key: str, notice_key: str, address: str, message_id: str, now: datetime
    ) -> None:
        await self.session.execute(
            _ADD_DELIVERY,
            {
                "key": key,
                "notice_key": notice_key,
                "message_id": message_id,
                "address": address,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            },
        )

    async def due(self, now: datetime, limit: int, lock: bool) -> Sequence[Any]:
        """Pending deliveries whose time has come, oldest first (locked, skipping locked ones, when
        several instances share a PostgreSQL database)."""
        query = _DUE_LOCKED if lock else _DUE
        return (await self.session.execute(query, {"now": now, "limit": limit})).all()

    async def take(self, key: str, now: datetime, until: datetime) -> bool:
        """Take a due delivery until `until` (a lease), unless another instance took it first: on SQLite,
        where rows cannot be locked, instances sharing one file agree through this conditional update.
        A lease that runs out (its instance died before recording the attempt) makes the delivery due."""
        result = await self.session.execute(_TAKE, {"delivery": key, "now": now, "until": until})
        return bool(result.rowcount == 1)

    async def mark_sent(self, key: str, notice_key: str, attempts: int, now: datetime) -> None:
        await self.session.execute(_SENT, {"delivery": key, "attempts": attempts, "now": now})
        await self.session.execute(_NOTICE_SENT, {"notice": notice_key, "now": now})

    async def mark_failed(
        self, key: str, notice_key: str, attempts: int, error: str, retry_at: datetime | None
    ) -> None:
        values: dict[str, Any] = {"attempts": attempts, "last_error": error}
        values.update({"next_attempt_at": retry_at} if retry_at else {"status": "failed"})
        await self.session.execute(update(deliveries).where(deliveries.c.key == key).values(**values))
        await self.session.execute(
            update(notices).where(notices.c.key == notice_key).values(attempts=notices.c.attempts + 1)
        )
        if retry_at is None:
            await self.session.execute(
                update(notices).where(notices.c.key == notice_key).values(status="failed")
            )
