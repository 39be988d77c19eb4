"""Notices and their e-mail deliveries: stored once per key, worked until sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.messaging.uow import Unit
from runtime.periodic import oldest_before
from services.notifications.adapters.orm import deliveries, notices
from services.notifications.domain.notices import Notice

# Built once: a statement built per call costs about as much again as running it.
_EXISTS = select(notices.c.key).where(notices.c.key == bindparam("key"))
_EXISTING = select(notices.c.key).where(notices.c.key.in_(bindparam("keys", expanding=True)))
_ADD = notices.insert()
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
        deliveries.c.key.in_(bindparam("keys", expanding=True)),
        deliveries.c.status == "pending",
        deliveries.c.next_attempt_at <= bindparam("now"),
    )
    .values(next_attempt_at=bindparam("until"))
    .returning(deliveries.c.key)
)
_GIVE_BACK = (
    update(deliveries)
    .where(
        deliveries.c.key.in_(bindparam("keys", expanding=True)),
        deliveries.c.status == "pending",
        deliveries.c.next_attempt_at == bindparam("until"),  # still under this pass's lease
    )
    .values(next_attempt_at=bindparam("now"))
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

# Oldest first, through the index on created_at; a notice still being sent stays.
_EXPIRED = oldest_before(notices.c.key, notices.c.created_at).where(~_STILL_PENDING)
_FORGET_DELIVERIES = delete(deliveries).where(deliveries.c.notice_key.in_(bindparam("keys", expanding=True)))
_FORGET_NOTICES = delete(notices).where(notices.c.key.in_(bindparam("keys", expanding=True)))


class NoticeRepository:
    """Reads and the delivery task's writes on any session; a notice and its e-mails are added within a
    unit of work (`of`), and go to the database together with the rest of the unit's: the notices before
    this repository's next read of them (`Unit.defer`), the e-mails at commit (`Unit.append`: nothing
    reads them before). A run of events asks which of its notices exist in one statement (`prefetch`)."""

    def __init__(self, session: AsyncConnection, unit: Unit | None = None) -> None:
        self.session = session
        self._unit = unit

    @classmethod
    def of(cls, unit: Unit) -> NoticeRepository:
        return cls(unit.session, unit)

    async def prefetch(self, keys: Sequence[str]) -> None:
        """Which of `keys` exist, read in one statement, for `exists` within this unit to answer from."""
        if self._unit is None or not keys:
            return
        await self._unit.write_deferred()
        found = set((await self.session.execute(_EXISTING, {"keys": list(keys)})).scalars())
        self._unit.prefetched.setdefault(_EXISTING, {}).update({key: key in found for key in keys})

    async def exists(self, key: str) -> bool:
        known = self._unit.prefetched.get(_EXISTING, {}) if self._unit is not None else {}
        if key in known:
            return bool(known[key])
        if self._unit is not None:
            await self._unit.write_deferred()  # a notice this unit added is read as written
        found = await self.session.execute(_EXISTS, {"key": key})
        return found.first() is not None

    async def add(self, notice: Notice, status: str, now: datetime) -> None:
        unit = self._writing()
        unit.defer(
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
        unit.prefetched.setdefault(_EXISTING, {})[notice.key] = True

    def add_delivery(self, key: str, notice_key: str, address: str, message_id: str, now: datetime) -> None:
        self._writing().append(
            deliveries,
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

    def _writing(self) -> Unit:
        if self._unit is None:
            raise RuntimeError("notices are added within a unit of work: NoticeRepository.of(unit)")
        return self._unit

    async def due(self, now: datetime, limit: int, lock: bool) -> Sequence[Any]:
        """Pending deliveries whose time has come, oldest first (locked, skipping locked ones, when
        several instances share a PostgreSQL database)."""
        query = _DUE_LOCKED if lock else _DUE
        return (await self.session.execute(query, {"now": now, "limit": limit})).all()

    async def take(self, keys: Sequence[str], now: datetime, until: datetime) -> set[str]:
        """Take the due deliveries of `keys` until `until` (a lease), but those another instance took
        first; returns the keys taken. On SQLite, where rows cannot be locked, instances sharing one file
        agree through this conditional update. A lease that runs out (its instance died before recording
        the attempts) makes the deliveries due."""
        found = await self.session.execute(_TAKE, {"keys": list(keys), "now": now, "until": until})
        return set(found.scalars())

    async def give_back(self, keys: Sequence[str], until: datetime, now: datetime) -> None:
        """The deliveries of `keys` still held under the lease until `until`, due again at once."""
        await self.session.execute(_GIVE_BACK, {"keys": list(keys), "until": until, "now": now})

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

    async def purge_before(self, cutoff: datetime, limit: int) -> int:
        """The oldest notices created before `cutoff` of which no e-mail is still to be sent, up to
        `limit`, deleted with their e-mails; returns how many notices."""
        found = await self.session.execute(_EXPIRED, {"cutoff": cutoff, "limit": limit})
        expired = list(found.scalars())
        if expired:
            await self.session.execute(_FORGET_DELIVERIES, {"keys": expired})
            await self.session.execute(_FORGET_NOTICES, {"keys": expired})
        return len(expired)
