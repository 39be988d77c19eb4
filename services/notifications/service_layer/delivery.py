"""The delivery task: works the deliveries table until every e-mail is accepted by the SMTP server.

Each e-mail is marked sent in the step that sent it, so that in normal operation the server receives it
exactly once. The residual window: a crash after the server accepted an e-mail and before that step
commits leaves it pending, and it is sent again after the restart, with the same Message-ID, so that the
duplicate can be recognised. A failure is recorded, published (NotificationFailed) and retried with
exponential backoff.

Several instances may share the deliveries table. On PostgreSQL each delivery is locked while it is
sent (SKIP LOCKED). On SQLite, where rows cannot be locked, an instance takes a delivery with a
conditional update (a lease past the SMTP timeout) before sending it, so that two instances never both
send it; a lease that runs out, its instance dead, makes the delivery due again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.notifications import NotificationFailedV1, NotificationSentV1
from runtime.db import Sessions
from runtime.messaging.uow import Unit, UnitOfWork
from services.notifications.adapters.notices import NoticeRepository
from services.notifications.adapters.smtp import Connection, Email, Mailer, SendError
from services.notifications.domain.delivery import RetryPolicy

log = logging.getLogger(__name__)


class DeliveryWorker:
    def __init__(
        self,
        uow: UnitOfWork,
        sessions: Sessions,
        mailer: Mailer,
        policy: RetryPolicy,
        *,
        lock_rows: bool,
        poll_seconds: float = 1.0,
        batch: int = 50,
        lease_seconds: float = 120.0,
    ) -> None:
        self._uow = uow
        self._sessions = sessions
        self._mailer = mailer
        self._policy = policy
        self._lock_rows = lock_rows
        self._poll = poll_seconds
        self._batch = batch
        # On SQLite a delivery is taken for this long before it is sent: past the SMTP timeout, so
        # that a lease runs out only when its instance died.
        self._lease = timedelta(seconds=lease_seconds)
        self._stopping = asyncio.Event()
        self._one_pass_at_a_time = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.failed = 0

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="notifications-delivery")

    async def stop(self, grace_seconds: float = 15.0) -> None:
        """Let the e-mail in flight finish and be recorded, then stop."""
        self._stopping.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace_seconds)
        except TimeoutError:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                while await self.work_once() == self._batch and not self._stopping.is_set():
                    pass
            except Exception as error:
                log.warning("delivery pass failed (%s); retrying", type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._poll)

    async def work_once(self) -> int:
        """Attempt the due deliveries; returns how many were attempted."""
        async with self._one_pass_at_a_time:
            return await self._work(datetime.now(UTC))

    async def _work(self, now: datetime) -> int:
        async with self._mailer.connection() as connection:
            if self._lock_rows:
                return await self._work_locked(now, connection)
            return await self._work_leased(now, connection)

    async def _work_leased(self, now: datetime, connection: Connection) -> int:
        """SQLite: read the due deliveries without a lock, take each (a lease) before sending it. An
        attempt is recorded in the transaction that takes the next delivery (one commit an e-mail, not
        two), and the last one on its own: as soon after the attempt as before."""
        async with self._sessions() as session:
            rows = await NoticeRepository(session).due(now, self._batch, lock=False)
            await session.rollback()
        attempted: tuple[Any, str | None] | None = None  # sent or failed, not yet recorded
        try:
            for done, row in enumerate(rows):
                if self._stopping.is_set():
                    return done
                now = datetime.now(UTC)
                async with self._uow() as unit:
                    if attempted is not None:
                        await self._record(unit, *attempted)
                    taken = await NoticeRepository(unit.session).take(row.key, now, now + self._lease)
                attempted = None
                if taken:  # else another instance on this database is sending it
                    attempted = row, await self._attempt(row, connection)
            return len(rows)
        finally:
            if attempted is not None:
                async with self._uow() as unit:
                    await self._record(unit, *attempted)

    async def _work_locked(self, now: datetime, connection: Connection) -> int:
        """PostgreSQL: each delivery is locked (skipping those another instance holds) while it is sent."""
        for done in range(self._batch):
            if self._stopping.is_set():
                return done
            async with self._uow() as unit:
                rows = await NoticeRepository(unit.session).due(now, 1, lock=True)
                if not rows:
                    return done
                await self._record(unit, rows[0], await self._attempt(rows[0], connection))
        return self._batch

    async def _attempt(self, row: Any, connection: Connection) -> str | None:
        email = Email(row.address, row.subject, row.body, row.message_id, datetime.now(UTC))
        try:
            await connection.send(email)
        except SendError as error:
            return str(error)
        return None

    async def _record(self, unit: Unit, row: Any, error: str | None) -> None:
        repository = NoticeRepository(unit.session)
        now, attempts = datetime.now(UTC), row.attempts + 1
        common = {"notice_key": row.notice_key, "delivery_key": row.key, "message_id": row.message_id}
        if error is None:
            await repository.mark_sent(row.key, row.notice_key, attempts, now)
            unit.emit(NotificationSentV1(**common, attempts=attempts, sent_at=now), subject=row.notice_key)
            self.sent += 1
            return
        retry_at = self._policy.next_attempt(attempts, now)
        await repository.mark_failed(row.key, row.notice_key, attempts, error, retry_at)
        unit.emit(
            NotificationFailedV1(
                **common,
                attempt=attempts,
                error=error,
                will_retry=retry_at is not None,
                next_attempt_at=retry_at,
                failed_at=now,
            ),
            subject=row.notice_key,
        )
        self.failed += 1
        log.warning("delivery attempt %d failed: %s", attempts, error)
