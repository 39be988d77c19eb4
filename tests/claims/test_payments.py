"""HNP payments from the back office: kept per practitioner, listed, printed as CSV and PDF."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from contracts.common import Fund
from contracts.envelope import Envelope
from contracts.payments import PaidClaim, Payee, PaymentIssuedV1
from runtime.messaging.consumer import MessageRejectedError
from services.claims.service_layer.payments import on_payment_issued
from tests.claims.conftest import Claims

REFERENCE = "FSE-20260701-ABCDEFGHJK"


def payment(
    payment_id: str, payee: Payee = Payee.PROFESSIONAL, practitioner: str | None = "prt-p"
) -> PaymentIssuedV1:
    return PaymentIssuedV1(
        payment_id=payment_id,
        fund=Fund.CCSS,
        payee=payee,
        practitioner_id=practitioner,
        paid_at=datetime(2026, 7, 10, 8, 0, tzinfo=UTC),
        claims=[
            PaidClaim(reference=REFERENCE, matricule="100001", amount=Decimal("24.00")),
            PaidClaim(reference="FSE-20260702-ABCDEFGHJM", matricule="100002", amount=Decimal("1000.50")),
        ],
        total=Decimal("1024.50"),
    )


async def deliver(claims: Claims, event: PaymentIssuedV1) -> None:
    async with claims.runtime.uow() as unit:
        await on_payment_issued(unit, Envelope.wrap(event, source="test", subject=event.payment_id), event)


async def test_payments_to_the_professional_are_listed_once(claims: Claims) -> None:
    await deliver(claims, payment("PAY-1"))
    await deliver(claims, payment("PAY-1"))
    await deliver(claims, payment("PAY-2", payee=Payee.INSURED, practitioner=None))

    listed = (await claims.client.get("/payments", headers=claims.headers("prt-p"))).json()

    assert [(p["payment_id"], p["total"], p["claims"]) for p in listed] == [("PAY-1", "1024.50", 2)]
    assert (await claims.client.get("/payments", headers=claims.headers("prt-q"))).json() == []


async def test_a_professional_payment_without_practitioner_is_refused(claims: Claims) -> None:
    with pytest.raises(MessageRejectedError, match="practitioner_id"):
        await deliver(claims, payment("PAY-3", practitioner=None))


async def test_the_statement_downloads_as_csv_and_pdf(claims: Claims) -> None:
    await deliver(claims, payment("PAY-4"))
    headers = claims.headers("prt-p")

    as_csv = await claims.client.get("/payments/PAY-4/statement.csv", headers=headers)
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig")), dialect="excel", delimiter=";"))
    assert rows[1] == ["PAY-4", "CCSS", "10/07/2026", REFERENCE, "100001", "0", "24,00"]
    assert rows[2][-1] == "1000,50"

    as_pdf = await claims.client.get("/payments/PAY-4/statement.pdf", headers=headers)
    assert as_pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(as_pdf.content)).pages)
    assert REFERENCE in text
    assert "1024,50" in text

    assert (
        await claims.client.get("/payments/PAY-4/statement.pdf", headers=claims.headers("x"))
    ).status_code == 404
    assert (await claims.client.get("/payments/PAY-4/statement.doc", headers=headers)).status_code == 422
