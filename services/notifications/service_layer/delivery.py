"""The delivery task: works the deliveries table until every e-mail is accepted by the SMTP server.

A pass begins as soon as a unit of this process that recorded e-mails commits (`wake`), and at each
poll for the rest (retries that come due, e-mails another instance recorded). It shares the due
deliveries among `senders`, each with its own SMTP connection (kept between passes), so that several
e-mails are in flight at once instead of each waiting for the server's answer and the commit of the one
before; on SQLite the senders' records of the moment share one transaction (`GroupCommit`). Each sender
works its share in turn.

Each e-mail is marked sent once the server accepted it (on SQLite while the sender sends the next), so
that in normal operation the server receives it exactly once. The residual window: a crash after the
server accepted an e-mail and before its record commits (two e-mails a sender at most) leaves it
pending, and it is sent again after the restart, with the same Message-ID, so that the duplicate can be
recognised. A failure is recorded, published (NotificationFailed) and retried with exponential backoff.

Several instances may share the deliveries table. On PostgreSQL each delivery is locked while it is
sent (SKIP LOCKED). On SQLite, where rows cannot be locked, a pass takes its due deliveries with one
conditional update (a lease, well past an attempt's time limit) before sending them, so that two
instances never both send one; what a pass does not get to is given back at its end, and a lease that
runs out, its instance dead, makes the deliveries due again."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.notifications import NotificationFailedV1, NotificationSentV1
from runtime.db import Sessions
from runtime.messaging.grouped import GroupCommit
from runtime.messaging.uow import Unit, UnitOfWork
from services.notifications.adapters.notices import NoticeRepository
from services.notifications.adapters.smtp import Connection, Email, Mailer, SendError
from services.notifications.domain.delivery import RetryPolicy
from services.notifications.service_layer.outgoing import EMAILS_RECORDED

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
        senders: int = 1,
        lease_seconds: float = 120.0,
    ) -> None:
        self._uow = uow
        self._grouped = GroupCommit(uow)  # the senders' steps of the moment, in one transaction
        self._sessions = sessions
        self._mailer = mailer
        self._policy = policy
        self._lock_rows = lock_rows
        self._poll = poll_seconds
        self._batch = batch
        self._senders = max(1, min(senders, batch))
        # On SQLite a pass takes its deliveries for this long before sending them: long enough for two
        # attempts at the least (an attempt begins only while its lease has one attempt's time left), so
        # that a lease runs out only when its instance died.
        self._lease = max(timedelta(seconds=lease_seconds), 2 * mailer.attempt_limit)
        self._stopping = asyncio.Event()
        self._attention = asyncio.Event()  # stopping, or e-mails recorded since the last pass began
        self._one_pass_at_a_time = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.failed = 0

    def start(self) -> None:
        self._stopping.clear()
        EMAILS_RECORDED.listen(self.wake)
        self._task = asyncio.create_task(self._run(), name="notifications-delivery")

    def wake(self) -> None:
        """E-mails were just recorded in this process: a pass now, not at the next poll."""
        self._attention.set()

    async def stop(self, grace_seconds: float = 15.0) -> None:
        """Let the e-mail in flight finish and be recorded, then stop; the kept connections are closed."""
        EMAILS_RECORDED.forget(self.wake)
        self._stopping.set()
        self._attention.set()
        task = self._task
        try:
            if task is not None and not (await asyncio.wait({task}, timeout=grace_seconds))[0]:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        finally:
            await self._mailer.close()

    async def _run(self) -> None:
        while True:
            self._attention.clear()  # what is recorded from here on rings again
            if self._stopping.is_set():
                return
            try:
                while await self.work_once() == self._batch and not self._stopping.is_set():
                    pass
                await self._mailer.close_idle()
            except Exception as error:
                log.warning("delivery pass failed (%s); retrying", type(error).__name__)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll):
                    await self._attention.wait()

    async def work_once(self) -> int:
        """Attempt the due deliveries; returns how many the pass dealt with: attempted, or on SQLite found
        taken by another instance. Fewer than the batch when it ran out of due ones or stopped early."""
        async with self._one_pass_at_a_time:
            return await self._work(datetime.now(UTC))

    async def _work(self, now: datetime) -> int:
        """One pass: the senders work their shares side by side, and each finishes its own (a failure
        of one, raised once they are all done, never interrupts another between a send and its record)."""
        if self._lock_rows:
            shares = [len(range(i, self._batch, self._senders)) for i in range(self._senders)]
            work = [functools.partial(self._work_locked, now, share) for share in shares]
        else:
            async with self._sessions() as session:
                rows = await NoticeRepository(session).due(now, self._batch, lock=False)
                await session.rollback()
            if not rows:
                return 0
            until = now + self._lease
            async with self._uow() as unit:
                taken = await NoticeRepository(unit.session).take([row.key for row in rows], now, until)
            mine = [row for row in rows if row.key in taken]
            others = len(rows) - len(mine)  # another instance on this database is sending them
            shared = (mine[i :: self._senders] for i in range(self._senders))
            work = [functools.partial(self._work_leased, share, until) for share in shared if share]
        done = await asyncio.gather(*map(self._sender, work), return_exceptions=True)
        for outcome in done:
            if isinstance(outcome, BaseException):
                raise outcome
        return sum(n for n in done if isinstance(n, int)) + (0 if self._lock_rows else others)

    async def _sender(self, work: Callable[[Connection], Awaitable[int]]) -> int:
        async with self._mailer.connection() as connection:
            return await work(connection)

    async def _work_leased(self, rows: Sequence[Any], until: datetime, connection: Connection) -> int:
        """SQLite: the pass took its deliveries (a lease until `until`). Each attempt is recorded while
        the next e-mail is sent, in a transaction that the other senders' records of the moment share
        (`GroupCommit`); a sender has at most one record in flight. An e-mail is begun only while its
        lease has an attempt's time left; the deliveries left over (stopping, or the lease running short)
        are given back, due at once."""
        recording: asyncio.Future[None] | None = None
        done = 0
        try:
            for row in rows:
                if self._stopping.is_set() or datetime.now(UTC) + self._mailer.attempt_limit > until:
                    break
                error = await self._attempt(row, connection)
                if recording is not None:
                    await recording
                recording = asyncio.ensure_future(
                    self._grouped.run(functools.partial(self._record, row=row, error=error))
                )
                done += 1
        finally:
            try:
                if recording is not None:
                    await recording
            finally:
                if done < len(rows):
                    await self._grouped.run(functools.partial(self._give_back, rows[done:], until))
        return done

    async def _give_back(self, rows: Sequence[Any], until: datetime, unit: Unit) -> None:
        await NoticeRepository(unit.session).give_back([row.key for row in rows], until, datetime.now(UTC))

    async def _work_locked(self, now: datetime, share: int, connection: Connection) -> int:
        """PostgreSQL: each delivery is locked (skipping those another sender or instance holds) while
        it is sent, up to `share` of them."""
        for done in range(share):
            if self._stopping.is_set():
                return done
            async with self._uow() as unit:
                rows = await NoticeRepository(unit.session).due(now, 1, lock=True)
                if not rows:
                    return done
                await self._record(unit, rows[0], await self._attempt(rows[0], connection))
        return share

    async def _attempt(self, row: Any, connection: Connection) -> str | None:
        email = Email(row.address, row.subject, row.body, row.message_id, datetime.now(UTC))
        try:
            await connection.send(email)
        except SendError as error:
            return str(error)
        return None

    async def _record(self, unit: Unit, row: Any, error: str | None) -> None:
        """Within `unit`: the attempt's outcome, its event, and once committed the worker's counts."""
        repository = NoticeRepository(unit.session)
        now, attempts = datetime.now(UTC), row.attempts + 1
        common = {"notice_key": row.notice_key, "delivery_key": row.key, "message_id": row.message_id}
        if error is None:
            await repository.mark_sent(row.key, row.notice_key, attempts, now)
            unit.emit(NotificationSentV1(**common, attempts=attempts, sent_at=now), subject=row.notice_key)
            unit.after_commit(self._count_sent)
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
        unit.after_commit(self._count_failed)
        log.warning("delivery attempt %d failed: %s", attempts, error)

    def _count_sent(self) -> None:
        self.sent += 1

    def _count_failed(self) -> None:
        self.failed += 1
