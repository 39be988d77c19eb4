"""kill -9 of the notifications process in the middle of its deliveries: after a restart every e-mail
is delivered; at most those in flight at the kill (two a sender: one whose record was being committed,
one being sent) may arrive twice, under the same Message-ID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from runtime import db
from runtime.mailsink import MailSink
from runtime.tansu import free_port
from services.notifications.adapters.orm import deliveries
from tests.helpers import eventually
from tests.notifications.pending import seed

pytestmark = pytest.mark.broker

COUNT = 20
SENDERS = 4


async def seeded(url: str) -> None:
    engine = db.make_engine(url)
    await seed(engine, COUNT)
    await engine.dispose()


async def statuses(url: str) -> Counter[str]:
    engine = db.make_engine(url)
    try:
        async with db.sessions(engine)() as session:
            return Counter((await session.execute(select(deliveries.c.status))).scalars())
    finally:
        await engine.dispose()


@pytest.fixture
def start(
    database_url: str, data_dir: Path, kafka_bootstrap: str, mail_sink: MailSink
) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    name = f"notifications-crash-{uuid.uuid4().hex[:8]}"
    environment = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "FSE_DATA_DIR": str(data_dir),
        "NOTIFICATIONS_SERVICE_NAME": name,
        "NOTIFICATIONS_DATABASE_URL": database_url,
        "NOTIFICATIONS_HTTP_PORT": str(free_port()),
        "NOTIFICATIONS_SMTP_PORT": str(mail_sink.port),
        "NOTIFICATIONS_DELIVERY_POLL_SECONDS": "0.1",
        "NOTIFICATIONS_DELIVERY_SENDERS": str(SENDERS),
        # On SQLite the deliveries the killed instance held are taken again when its lease runs out:
        # the shortest lease the settings allow (two attempts of 3 x 1 s), instead of two minutes.
        "NOTIFICATIONS_SMTP_TIMEOUT_SECONDS": "1",
        "NOTIFICATIONS_DELIVERY_LEASE_SECONDS": "6",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    processes: list[subprocess.Popen[bytes]] = []

    log = open(data_dir / f"{name}.log", "ab")  # noqa: SIM115

    def launch() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.notifications"],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append(process)
        return process

    yield launch
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    log.close()


async def test_kill_9_in_the_middle_of_deliveries_loses_nothing(
    start: Callable[[], subprocess.Popen[bytes]], database_url: str, mail_sink: MailSink
) -> None:
    await seeded(database_url)
    mail_sink.delay = 0.1  # a slow server, so that the kill lands among the deliveries
    first = start()
    await eventually(lambda: _received_at_least(mail_sink, 5), timeout=180)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    interrupted = len(mail_sink.received)

    start()
    await eventually(lambda: _all_sent(database_url), timeout=180)

    per_id = Counter(m.message_id for m in mail_sink.received)
    per_subject = Counter(str(m.message["Subject"]) for m in mail_sink.received)
    assert interrupted < COUNT, "the kill came after every delivery: nothing was interrupted"
    assert len(per_id) == len(per_subject) == COUNT  # every notice arrived, one Message-ID each
    assert sum(per_id.values()) - COUNT <= 2 * SENDERS  # at most those in flight at the kill, recognisable


async def _received_at_least(sink: MailSink, count: int) -> bool:
    return len(sink.received) >= count


async def _all_sent(url: str) -> bool:
    return await statuses(url) == {"sent": COUNT}
