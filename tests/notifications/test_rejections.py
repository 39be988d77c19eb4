"""Rejection notices end to end inside the service: real broker, real database, real SMTP server."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from contracts import topics
from contracts.claims import ClaimRejectedV1, Notify
from contracts.envelope import Envelope, Payload
from runtime.mailsink import MailSink
from services.notifications.adapters.orm import deliveries, notices
from services.notifications.entrypoints.stream import subscriptions
from services.notifications.service_layer.contacts import (
    on_insured_contact_changed,
    on_practitioner_activated,
)
from tests.helpers import eventually, statements_sent
from tests.notifications import events
from tests.notifications.conftest import Harness

pytestmark = pytest.mark.broker


async def notice_rows(service: Harness, *keys: str) -> list[Any]:
    async with service.runtime.sessions() as session:
        rows = await session.execute(select(notices).where(notices.c.key.in_(keys)))
        return list(rows)


async def all_settled(service: Harness) -> bool:
    """Nothing left to send: a pass of the delivery task finds no due e-mail."""
    async with service.runtime.sessions() as session:
        pending = (
            await session.execute(select(deliveries.c.key).where(deliveries.c.status == "pending"))
        ).first()
    return pending is None and await service.worker.work_once() == 0


async def test_a_rejection_delivered_twice_yields_exactly_one_email(
    service: Harness, mail_sink: MailSink
) -> None:
    key = "CCSS:100001"
    await service.publish(events.contact("100001", "louise.martin@example.org"), key)
    rejection = events.rejected("100001")
    first = await service.publish(rejection, key)
    await service.publish(rejection, key, envelope=first)  # the same event redelivered
    await service.publish(rejection, key)  # the same rejection published again under a new id
    marker = events.rejected("100001")
    await service.publish(marker, key)

    await eventually(lambda: notice_rows(service, f"rejection:{marker.reference}"))
    await eventually(lambda: all_settled(service))

    mails = [m for m in mail_sink.received if rejection.reference in m.message["Subject"]]
    assert len(mails) == 1
    assert mails[0].recipients == ("louise.martin@example.org",)
    assert mails[0].message["Auto-Submitted"] == "auto-generated"
    text = mails[0].text()
    assert "Motif : Les droits du bénéficiaire ne sont pas ouverts" in text
    assert "Que faire ? Contactez votre caisse" in text
    (notice,) = await notice_rows(service, f"rejection:{rejection.reference}")
    assert (notice.audience, notice.status) == ("insured", "sent")


async def test_under_hnp_the_professional_is_told_to_recover_the_fee(
    service: Harness, mail_sink: MailSink
) -> None:
    await service.publish(events.activated("prt-hnp", "dr.hnp@example.org"), "prt-hnp")
    rejection = events.rejected(
        "100002",
        Notify.PROFESSIONAL,
        practitioner_id="prt-hnp",
        reason_code="HNP_NOT_ALLOWED",
        reason="Acte HBQK002 (diabète) : tiers payant refusé",  # free text a pricing step might write
    )
    await service.publish(rejection, "prt-hnp")

    mail = await eventually(
        lambda: _first(m for m in mail_sink.received if rejection.reference in m.message["Subject"])
    )

    assert mail.recipients == ("dr.hnp@example.org",)
    assert "les honoraires auprès du patient" in mail.text()
    assert "Motif : Le tiers payant (HNP) n'est pas ouvert pour cette catégorie de carte." in mail.text()
    for detail in ("HBQK002", "diabète"):
        assert detail not in mail.text()
        assert detail not in str(mail.message["Subject"])


async def test_no_email_channel_keeps_the_notice_as_undeliverable(
    service: Harness, mail_sink: MailSink
) -> None:
    key = "CCSS:100003"
    await service.publish(events.contact("100003", "jean.bernard@example.org", notify_by_email=False), key)
    declined = events.rejected("100003")
    unknown = events.rejected("100004")  # nobody ever gave an address
    await service.publish(declined, key)
    await service.publish(unknown, key)

    rows = await eventually(
        lambda: _all_of(notice_rows(service, *(f"rejection:{r.reference}" for r in (declined, unknown))), 2)
    )

    assert {row.status for row in rows} == {"undeliverable"}
    published = await service.events(2)
    assert sorted(e.data["reason"] for e in published if e.type == "NotificationUndeliverable") == [
        "aucune adresse e-mail connue pour l'assuré",
        "l'assuré n'a pas choisi d'être informé par e-mail",
    ]
    assert not [m for m in mail_sink.received if declined.reference in m.message["Subject"]]


async def _all_of(rows: Any, count: int) -> list[Any] | None:
    found: list[Any] = await rows
    return found if len(found) == count else None


async def _first(items: Any) -> Any:
    return next(iter(items), None)


def wrap(payload: Payload, subject: str) -> Envelope:
    return Envelope.wrap(payload, source="test", subject=subject)


async def test_a_run_of_rejections_reads_and_writes_its_notices_at_once(service: Harness) -> None:
    """As the consumer calls them: the subscription's prefetch for the run, then each event. The run
    reads its notices, the insured's contacts and the professionals' addresses in one statement each,
    and writes its new notices and their e-mails in one statement each; a rejection whose notice exists
    (from an earlier batch, or earlier in the run under another event id) gets none."""
    [subscription] = [s for s in subscriptions(service.runtime) if s.topic == topics.CLAIMS]
    prefetch, handle = subscription.prefetch[ClaimRejectedV1], subscription.handlers[ClaimRejectedV1]
    known, earlier = events.contact("300001", "anne.roux@example.org"), events.rejected("300001")
    activated = events.activated("prt-run", "dr.run@example.org")
    async with service.runtime.uow() as unit:
        await on_insured_contact_changed(unit, wrap(known, "300001"), known)
        await on_practitioner_activated(unit, wrap(activated, "prt-run"), activated)
        await handle(unit, wrap(earlier, "300001"), earlier)
    to_insured, unreachable = events.rejected("300001"), events.rejected("300002")
    to_professional = events.rejected("300003", Notify.PROFESSIONAL, practitioner_id="prt-run")
    run = [to_insured, earlier, unreachable, to_professional, to_insured]

    with statements_sent() as sent:
        async with service.runtime.uow() as unit:
            await prefetch(unit, run)
            for event in run:
                await handle(unit, wrap(event, event.matricule), event)

    def sent_to(table: str) -> list[Any]:  # the reads of `table` alone (not the delivery task's join)
        return [
            rows
            for sql, rows in sent
            if sql.startswith("SELECT") and f"FROM {table} WHERE" in " ".join(sql.split())
        ]

    assert len(sent_to("notices")) == len(sent_to("insured_contacts")) == len(sent_to("practitioners")) == 1
    inserted = {
        table: [rows for sql, rows in sent if sql.startswith(f"INSERT INTO {table} ")]
        for table in ("notices", "deliveries")
    }
    assert [len(rows) for rows in inserted["notices"]] == [3]  # one statement: the run's three new ones
    assert [len(rows) for rows in inserted["deliveries"]] == [2]
    rows = await notice_rows(service, *(f"rejection:{e.reference}" for e in run))
    assert sorted((row.recipient, row.status) for row in rows) == [
        ("insured:CCSS:300001:0", "pending"),
        ("insured:CCSS:300001:0", "pending"),
        ("insured:CCSS:300002:0", "undeliverable"),
        ("practitioner:prt-run", "pending"),
    ]
    async with service.runtime.sessions() as session:
        addresses = await session.execute(
            select(deliveries.c.notice_key, deliveries.c.address).where(
                deliveries.c.notice_key.in_([f"rejection:{e.reference}" for e in run])
            )
        )
        assert {row.notice_key: row.address for row in addresses} == {
            f"rejection:{earlier.reference}": "anne.roux@example.org",
            f"rejection:{to_insured.reference}": "anne.roux@example.org",
            f"rejection:{to_professional.reference}": "dr.run@example.org",
        }
