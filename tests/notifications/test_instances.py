"""Two notifications instances on one SQLite file (the embedded default scaled out) work the same
deliveries table: each e-mail reaches the SMTP server once, whichever instance takes it."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from runtime import db
from runtime.mailsink import MailSink
from runtime.messaging.uow import UnitOfWork
from services.notifications.adapters.orm import deliveries, messaging, metadata
from services.notifications.adapters.smtp import Mailer
from services.notifications.bootstrap import definition
from services.notifications.domain.delivery import Channel, RetryPolicy
from services.notifications.domain.notices import Notice
from services.notifications.service_layer.delivery import DeliveryWorker
from services.notifications.service_layer.outgoing import record_notice
from services.notifications.settings import Settings

COUNT = 30


async def test_two_instances_on_one_sqlite_file_send_each_email_once(
    data_dir: Path, tmp_path: Path, mail_sink: MailSink
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'notifications.db'}"
    engines = [db.make_engine(url), db.make_engine(url)]  # one per instance, as two processes have
    try:
        await db.migrate(engines[0], definition().migrations, metadata)
        uow = UnitOfWork(db.sessions(engines[0]), messaging, "tests")
        for n in range(COUNT):
            async with uow() as unit:
                notice = Notice(f"test:{n}", "insured", f"insured:test:{n}", f"Avis {n:03d}", "Bonjour,\n")
                await record_notice(unit, notice, [("to", Channel(f"assure{n}@example.org"))])
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
