"""Delivery through a real SMTP server: outages and restarts lose nothing and send nothing twice, on
SQLite and on PostgreSQL. Every attempt is published: NotificationSent or NotificationFailed."""

from __future__ import annotations

import functools
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from contracts.claims import ClaimRejectedV1
from runtime.mailsink import MailSink
from services.notifications.adapters import notices as repository
from services.notifications.adapters.orm import deliveries
from tests.helpers import eventually, sqlite_plan, sqlite_plan_as_sent, statements_sent
from tests.notifications import events
from tests.notifications.conftest import Harness

pytestmark = pytest.mark.broker


async def send_rejections(service: Harness, first: int, count: int) -> list[ClaimRejectedV1]:
    sent = []
    for n in range(first, first + count):
        matricule, key = f"{500000 + n}", f"CCSS:{500000 + n}"
        await service.publish(events.contact(matricule, f"assure{n}@example.org"), key)
        rejection = events.rejected(matricule)
        await service.publish(rejection, key)
        sent.append(rejection)
    return sent


async def delivery_rows(service: Harness) -> list[Any]:
    async with service.runtime.sessions() as session:
        return list(await session.execute(select(deliveries)))


async def failed_at_least_once(service: Harness, count: int) -> bool:
    rows = await delivery_rows(service)
    return len(rows) == count and all(r.attempts >= 1 and r.status == "pending" for r in rows)


async def settled(service: Harness, count: int) -> bool:
    rows = await delivery_rows(service)
    done = len(rows) == count and all(r.status == "sent" for r in rows)
    return done and await service.worker.work_once() == 0


async def received(sink: MailSink, count: int) -> bool:
    return len(sink.received) == count


def mails_per_reference(sink: MailSink, rejections: list[ClaimRejectedV1]) -> Counter[str]:
    references = {r.reference for r in rejections}
    return Counter(ref for mail in sink.received for ref in references if ref in str(mail.message["Subject"]))


async def assert_every_attempt_published(service: Harness, sent: int) -> None:
    async with service.runtime.sessions() as session:
        attempts = (await session.execute(select(func.sum(deliveries.c.attempts)))).scalar_one()
    published = Counter(e.type for e in await service.events(attempts))
    assert published == {"NotificationSent": sent, "NotificationFailed": attempts - sent}


async def test_an_smtp_outage_then_recovery_delivers_every_notice_exactly_once(
    durable_service: Harness, mail_sink: MailSink
) -> None:
    service = durable_service
    mail_sink.stop()  # the server is down: connections are refused
    await service.start()
    rejections = await send_rejections(service, 0, 3)
    await eventually(lambda: failed_at_least_once(service, 3))

    mail_sink.refuse = "451 4.3.0 Mailbox temporarily unavailable"  # up, but answering 4xx
    mail_sink.start()
    await eventually(lambda: _errors_seen(service, "SMTP 451"))
    assert service.client is not None
    waiting = (
        await service.client.get("/notifications/deliveries?status=pending", headers=service.operator())
    ).json()
    assert len(waiting) == 3
    assert all(d["attempts"] >= 1 and d["last_error"] for d in waiting)
    assert "address" not in waiting[0]
    mail_sink.refuse = None
    await eventually(lambda: settled(service, 3))

    assert mails_per_reference(mail_sink, rejections) == {r.reference: 1 for r in rejections}
    assert len({m.message_id for m in mail_sink.received}) == len(mail_sink.received) == 3
    await assert_every_attempt_published(service, sent=3)
    failures = [e for e in await service.events(3) if e.type == "NotificationFailed"]
    assert all(e.data["will_retry"] for e in failures)
    assert {e.data["error"] for e in failures} >= {"ConnectionRefusedError", "SMTP 451"}
    assert not any("@" in e.data["error"] for e in failures)


async def test_emails_go_as_soon_as_they_are_recorded_not_at_the_next_poll(
    durable_service: Harness, mail_sink: MailSink
) -> None:
    service = durable_service
    service.settings = service.settings.model_copy(update={"delivery_poll_seconds": 3600.0})
    await service.start()  # its first pass finds nothing; the next poll is an hour away
    sent: list[ClaimRejectedV1] = []
    for n in range(3):
        sent += await send_rejections(service, 30 + n, 1)
        await eventually(functools.partial(received, mail_sink, len(sent)))

    assert mails_per_reference(mail_sink, sent) == {r.reference: 1 for r in sent}


async def test_a_restart_in_the_middle_loses_nothing(durable_service: Harness, mail_sink: MailSink) -> None:
    service = durable_service
    mail_sink.refuse = "451 4.3.0 try again later"
    await service.start()
    before = await send_rejections(service, 10, 4)
    await eventually(lambda: failed_at_least_once(service, 4))

    await service.stop()
    mail_sink.refuse = None
    during = await send_rejections(service, 20, 2)  # published while the service is down
    await service.publish(before[0], f"CCSS:{before[0].matricule}")  # and a duplicate
    await service.start()

    await eventually(lambda: settled(service, 6))
    everything = before + during
    assert mails_per_reference(mail_sink, everything) == {r.reference: 1 for r in everything}
    assert len(mail_sink.received) == 6


async def _errors_seen(service: Harness, error: str) -> bool:
    return any(row.last_error == error for row in await delivery_rows(service))


async def test_a_notice_is_found_sent_through_its_own_emails_alone(service: Harness) -> None:
    """Whether a notice has an e-mail still pending is read through the notice's own e-mails, never by
    walking every pending e-mail (SQLite picked the due index for the status; each e-mail sent then
    read the whole backlog)."""
    params = {"notice": "rejection:x", "now": None}
    async with service.runtime.sessions() as session:
        plan = await sqlite_plan(session, repository._NOTICE_SENT, params)

    assert any("notices USING INDEX" in line for line in plan), plan
    assert any(
        "deliveries USING INDEX ix_deliveries_notice_status (notice_key=? AND status=?)" in line
        for line in plan
    ), plan


async def test_the_due_emails_are_read_in_the_order_they_are_sent_without_sorting(service: Harness) -> None:
    """The e-mails of a pass come oldest first straight from the due index (the e-mails of one unit of
    work share a time, and were sorted by key each pass)."""
    params = {"now": datetime.now(UTC), "limit": 50}
    async with service.runtime.sessions() as session:
        plan = await sqlite_plan(session, repository._DUE, params)

    assert plan == [
        "SEARCH deliveries USING INDEX ix_deliveries_due (status=? AND next_attempt_at<?)",
        "SEARCH notices USING INDEX sqlite_autoindex_notices_1 (key=?)",
    ]


async def test_the_operators_lists_read_their_page_newest_first_through_an_index(service: Harness) -> None:
    """The notices and the e-mails, of one status or of all, newest first: each page read in order
    through an index, never every row ever written read and sorted on the loop's thread."""
    assert service.client is not None
    with statements_sent() as sent:
        for path in ("notices", "deliveries", "deliveries?status=sent"):
            listed = await service.client.get(f"/notifications/{path}", headers=service.operator())
            assert listed.status_code == 200
    lists = [(sql, parameters) for sql, parameters in sent if "ORDER BY" in sql and "created_at DESC" in sql]
    async with service.runtime.sessions() as session:
        plans = [await sqlite_plan_as_sent(session, sql, parameters) for sql, parameters in lists]

    assert plans == [
        ["SCAN notices USING INDEX ix_notices_created_at"],
        ["SCAN deliveries USING INDEX ix_deliveries_created"],
        ["SEARCH deliveries USING INDEX ix_deliveries_status_created (status=?)"],
    ]
