"""Statements (décomptes) of payments to the insured: to the insured who chose e-mail, and a copy to the
complementary insurer when the insured consented; never a medical detail."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.payments import Payee
from runtime.mailsink import MailSink
from tests.helpers import eventually
from tests.notifications import events
from tests.notifications.conftest import Harness

pytestmark = pytest.mark.broker


async def mails_for(sink: MailSink, payment_id: str, count: int) -> list[Any] | None:
    found = [m for m in sink.received if payment_id in str(m.message["Subject"])]
    return found if len(found) >= count else None


async def test_the_statement_goes_to_the_insured_and_with_consent_to_the_insurer(
    service: Harness, mail_sink: MailSink
) -> None:
    key = "CCSS:100001"
    await service.publish(
        events.contact(
            "100001", "louise@example.org", insurer_email="decomptes@mutuelle.example", forward=True
        ),
        key,
    )
    await service.publish(events.contact("100002", "marco@example.org", forward=False), "CCSS:100002")
    first, second = events.reference(), events.reference()
    await service.publish(
        events.paid("PAY-1", Payee.INSURED, (first, "100001", "24.00"), (second, "100001", "1234.50")), key
    )
    await service.publish(events.paid("PAY-2", Payee.INSURED, (events.reference(), "100002", "8.00")), key)
    await service.publish(
        events.paid("PAY-3", Payee.PROFESSIONAL, (events.reference(), "100001", "9.00")), key
    )
    marker = events.rejected("100001")  # after every payment on the same partition
    await service.publish(marker, key)

    mails = await eventually(lambda: mails_for(mail_sink, "PAY-1", 2))
    await eventually(lambda: mails_for(mail_sink, marker.reference, 1))
    await eventually(lambda: mails_for(mail_sink, "PAY-2", 1))

    assert sorted(r for m in mails for r in m.recipients) == [
        "decomptes@mutuelle.example",
        "louise@example.org",
    ]
    text = mails[0].text()
    assert f"feuille de soins {first} : 24,00 €" in text
    assert f"feuille de soins {second} : 1 234,50 €" in text
    assert "remboursement de 1 258,50 €" in text
    assert len({m.message_id for m in mails}) == 2
    (marco,) = await mails_for(mail_sink, "PAY-2", 1) or []
    assert marco.recipients == ("marco@example.org",)  # no consent: no copy to the insurer
    assert not await mails_for(mail_sink, "PAY-3", 1)  # paid to the professional: no statement
