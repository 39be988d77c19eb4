"""Two notifications instances on one SQLite file (the embedded default scaled out) work the same
deliveries table: each e-mail reaches the SMTP server once, whichever instance takes it. Within one
instance, the senders of a pass share its deliveries the same way, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from runtime import db
from runtime.mailsink import MailSink
from runtime.messaging.uow import UnitOfWork
from services.notifications.adapters.notices import NoticeRepository
from services.notifications.adapters.orm import deliveries, messaging
from services.notifications.adapters.smtp import Mailer
from services.notifications.domain.delivery import RetryPolicy
from services.notifications.service_layer.delivery import DeliveryWorker
from services.notifications.settings import Settings
from tests.notifications.pending import seed

COUNT = 30


async def test_two_instances_on_one_sqlite_file_send_each_email_once(
    data_dir: Path, tmp_path: Path, mail_sink: MailSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    both_read = asyncio.Barrier(2)
    due = NoticeRepository.due

    async def read_together(self: NoticeRepository, *args: Any, **kwargs: Any) -> Sequence[Any]:
        rows = await due(self, *args, **kwargs)
        await both_read.wait()  # neither instance takes what it read before the other has read it
        return rows

    monkeypatch.setattr(NoticeRepository, "due", read_together)
    url = f"sqlite+aiosqlite:///{tmp_path / 'notifications.db'}"
    engines = [db.make_engine(url), db.make_engine(url)]  # one per instance, as two processes have
    try:
        await seed(engines[0], COUNT)
        settings = Settings(data_dir=data_dir, smtp_port=mail_sink.port, smtp_helo_name="tests")
        workers = [
            DeliveryWorker(
                UnitOfWork(db.sessions(engine), messaging, "tests"),
                db.sessions(engine),
                Mailer(settings),
                RetryPolicy(1.0, 60.0, 5),
                lock_rows=False,
            )
            for engine in engines
        ]
        # Both read the same due deliveries at once, as two instances polling together do.
        attempted = await asyncio.gather(*(worker.work_once() for worker in workers))

        assert sum(attempted) > COUNT  # their reads overlapped: the case to prove
        per_message = Counter(mail.message_id for mail in mail_sink.received)
        assert len(per_message) == COUNT
        assert set(per_message.values()) == {1}
        assert sum(worker.sent for worker in workers) == COUNT
        async with db.sessions(engines[1])() as session:
            statuses = Counter((await session.execute(select(deliveries.c.status))).scalars())
        assert statuses == {"sent": COUNT}
    finally:
        for engine in engines:
            await engine.dispose()


async def test_the_senders_of_a_pass_each_send_their_share_once_over_their_own_connection(
    database_url: str, data_dir: Path, mail_sink: MailSink
) -> None:
    engine = db.make_engine(database_url)
    sessions = db.sessions(engine)
    try:
        await seed(engine, COUNT)
        settings = Settings(data_dir=data_dir, smtp_port=mail_sink.port, smtp_helo_name="tests")
        worker = DeliveryWorker(
            UnitOfWork(sessions, messaging, "tests"),
            sessions,
            Mailer(settings),
            RetryPolicy(1.0, 60.0, 5),
            lock_rows=db.is_postgres(engine),
            senders=3,
        )

        assert await worker.work_once() == COUNT  # one pass (a batch of 50)
        assert await worker.work_once() == 0

        per_message = Counter(mail.message_id for mail in mail_sink.received)
        assert len(per_message) == COUNT
        assert set(per_message.values()) == {1}
        assert len({mail.peer for mail in mail_sink.received}) == 3  # a connection per sender
        assert worker.sent == COUNT
        async with sessions() as session:
            statuses = Counter((await session.execute(select(deliveries.c.status))).scalars())
            outbox = select(func.count()).where(messaging.outbox.c.event_type == "NotificationSent")
            published = (await session.execute(outbox)).scalar_one()
        assert statuses == {"sent": COUNT}
        assert published == COUNT
    finally:
        await sessions.close()
        await engine.dispose()


async def test_what_a_stopped_pass_took_and_did_not_send_is_due_again_at_once(
    data_dir: Path, tmp_path: Path, mail_sink: MailSink
) -> None:
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'notifications.db'}")
    sessions = db.sessions(engine)
    try:
        await seed(engine, COUNT)
        settings = Settings(data_dir=data_dir, smtp_port=mail_sink.port, smtp_helo_name="tests")

        def worker() -> DeliveryWorker:
            uow = UnitOfWork(sessions, messaging, "tests")
            return DeliveryWorker(uow, sessions, Mailer(settings), RetryPolicy(1.0, 60.0, 5), lock_rows=False)

        stopping = worker()
        await stopping.stop()  # told to stop: its pass takes the due e-mails, then sends none of them
        assert await stopping.work_once() == 0
        assert mail_sink.received == []

        assert await worker().work_once() == COUNT  # not held until the lease runs out
        assert sorted(Counter(mail.message_id for mail in mail_sink.received).values()) == [1] * COUNT
    finally:
        await sessions.close()
        await engine.dispose()


def test_a_lease_shorter_than_two_attempts_is_refused_at_start(data_dir: Path) -> None:
    """A living instance's lease must not run out while it sends: another would send the same e-mails."""
    Settings(data_dir=data_dir, smtp_timeout_seconds=1, delivery_lease_seconds=6)
    refused = r"delivery_lease_seconds: 5.9 must be at least two SMTP attempts \(6 s"
    with pytest.raises(ValidationError, match=refused):
        Settings(data_dir=data_dir, smtp_timeout_seconds=1, delivery_lease_seconds=5.9)
