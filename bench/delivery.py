"""CPU that a rejection's e-mail costs the notifications service, in-process (a script, not a test): the
service's consumer and delivery task as the service builds them, over real SQLite in a temporary
directory, with no broker. The consumer is fed the rejections (`--batch` at a time: 25 is what it takes
at 300 claims/s offered, 400 from a backlog) after the insured's contacts, and records a notice and an
e-mail for each; the delivery task then sends them to a real SMTP server (the embedded mailbox, a
process of its own, so that its CPU is not counted: it is given on a line of its own, "mailbox").

    python -m bench.delivery [--emails 1000] [--batch 400] [--repeat 3]

It prints the process's CPU time an e-mail for each step (best and median of `--repeat` fresh
databases), the bytes it wrote an e-mail (/proc/self/io: SQLite's WAL) and the time an e-mail took,
against composing the same e-mails with no database and no server: the floor of any sender. It checks
that the server received every e-mail once and that every delivery and notice ended sent, with its
NotificationSent in the outbox. What the service does beyond (fetching, the relay that publishes
NotificationSent) is measured by `python -m bench`, not here."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bench.harness import mailbox_ids
from bench.inprocess import Cost, Meter, event, feed, report
from bench.stats import cpu_seconds
from contracts.claims import ClaimRejectedV1, Notify
from contracts.common import Fund
from contracts.rights import InsuredContactChangedV1
from runtime import db, heap, loop
from runtime.keys import ensure_dev_keys
from runtime.mailsink import MailboxProcess
from runtime.service import Runtime, build_app
from services.notifications.adapters.orm import deliveries, messaging, notices
from services.notifications.adapters.smtp import Email, Mailer, compose
from services.notifications.bootstrap import definition
from services.notifications.domain.delivery import RetryPolicy, message_id
from services.notifications.domain.notices import rejection_key, rejection_notice
from services.notifications.service_layer.delivery import DeliveryWorker
from services.notifications.service_layer.outgoing import MESSAGE_ID_DOMAIN
from services.notifications.settings import Settings


def rejection(number: int) -> ClaimRejectedV1:
    return ClaimRejectedV1(
        reference=f"FSE-20261204-{number:010d}",
        practitioner_id="prt-bench",
        fund=Fund.CCSS,
        matricule=f"{100000 + number % 1000}",
        beneficiary_rank=0,
        decided_at=datetime.now(UTC),
        reason_code="RIGHTS_CLOSED",
        reason="droits fermés",
        notify=Notify.INSURED,
        stage="eligibility",
    )


def address(matricule: str) -> str:
    return f"assure{matricule}@example.mc"


def contact(matricule: str) -> InsuredContactChangedV1:
    return InsuredContactChangedV1(
        fund=Fund.CCSS,
        matricule=matricule,
        email=address(matricule),
        notify_by_email=True,
        changed_at=datetime.now(UTC),
    )


async def record_notices(runtime: Runtime, emails: int, batch: int) -> tuple[list[Email], Cost]:
    """`emails` rejections through the service's consumer, each notice with one pending e-mail to the
    insured; returns the e-mails as they are to be sent, and what recording them cost."""
    (consumer,) = runtime.consumers
    rejections = [rejection(number) for number in range(emails)]
    matricules = sorted({r.matricule for r in rejections})
    await feed(consumer, [event(contact(m), m, i) for i, m in enumerate(matricules)], batch)
    cost = await feed(consumer, [event(r, r.reference, i) for i, r in enumerate(rejections)], batch)
    if consumer.dead_lettered:
        raise RuntimeError(f"{consumer.dead_lettered} events dead-lettered")
    sent = []
    for item in rejections:
        notice, key = rejection_notice(item), f"{rejection_key(item)}:to"
        sent.append(
            Email(
                address(item.matricule),
                notice.subject,
                notice.body,
                message_id(key, MESSAGE_ID_DOMAIN),
                item.decided_at,
            )
        )
    return sent, cost


def compose_only(settings: Settings, emails: list[Email]) -> Cost:
    meter = Meter()
    for item in emails:
        compose(settings.smtp_sender, item)
    return meter.cost(len(emails))


async def counts(runtime: Runtime) -> dict[str, object]:
    async with runtime.sessions() as session:
        return {
            "deliveries": dict(
                (
                    await session.execute(
                        select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
                    )
                ).all()
            ),
            "notices": dict(
                (
                    await session.execute(select(notices.c.status, func.count()).group_by(notices.c.status))
                ).all()
            ),
            "NotificationSent": (
                await session.execute(
                    select(func.count()).where(messaging.outbox.c.event_type == "NotificationSent")
                )
            ).scalar_one(),
        }


def mailbox_cpu(sink: MailboxProcess) -> float:
    """The CPU seconds the mailbox's process has used so far: the server's side of each e-mail."""
    assert sink.process is not None
    return cpu_seconds({"mail": sink.process.pid})["mail"]


async def one_run(
    emails: int, directory: Path, batch: int = 400, keys: Path | None = None
) -> dict[str, Cost]:
    """One fresh database and mail sink, made in `directory`; the keys of the data directory `keys`
    (default: new ones, in `directory`)."""
    data_dir, mailbox = keys or directory, directory / "mail"
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    ensure_dev_keys(data_dir)
    sink = MailboxProcess(mailbox).start()
    try:
        settings = Settings(
            data_dir=data_dir,
            database_url=f"sqlite+aiosqlite:///{directory / 'notifications.db'}",
            kafka_bootstrap_servers="127.0.0.1:9",
            smtp_port=sink.port,
            smtp_helo_name="bench",
        )
        service = definition(settings)
        runtime: Runtime = build_app(service).state.runtime
        await db.migrate(runtime.engine, service.migrations, service.metadata)
        try:
            sent, recorded = await record_notices(runtime, emails, batch)
            figures = {"ClaimRejected": recorded, "compose only": compose_only(settings, sent)}
            worker = DeliveryWorker(
                runtime.uow,
                runtime.sessions,
                Mailer(settings),
                RetryPolicy(settings.retry_base_seconds, settings.retry_max_seconds, 1),
                lock_rows=False,
                batch=settings.delivery_batch,
                senders=settings.delivery_senders,
            )
            meter, mail = Meter(), mailbox_cpu(sink)
            while await worker.work_once():
                pass
            figures["delivery"] = meter.cost(emails)
            figures["mailbox"] = Cost((mailbox_cpu(sink) - mail) / emails, None, figures["delivery"].elapsed)
            ended = await counts(runtime)
        finally:
            await runtime.sessions.close()
    finally:
        sink.stop()
    expected = {"deliveries": {"sent": emails}, "notices": {"sent": emails}, "NotificationSent": emails}
    if ended != expected or worker.failed:
        raise RuntimeError(f"ended {ended} with {worker.failed} failed attempts, not every e-mail sent once")
    ids = mailbox_ids(mailbox)
    if sorted(ids) != sorted(item.message_id for item in sent):
        raise RuntimeError(f"the server received {len(ids)} messages ({len(set(ids))} distinct) of {emails}")
    return figures


async def main(emails: int, batch: int, repeat: int) -> None:
    print(
        f"notifications consumer and delivery task, in-process, SQLite, SMTP sink: {emails} e-mails, "
        f"rejections in batches of {batch}, best of {repeat}"
    )
    heap.freeze()  # the collector as in a started service (runtime.heap)
    with tempfile.TemporaryDirectory(prefix="fse-delivery-") as scratch:
        runs = [await one_run(emails, Path(scratch) / f"run-{n}", batch) for n in range(repeat)]
    report(runs, "an e-mail")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    loop.run(main(arguments.emails, arguments.batch, arguments.repeat))
