"""HNP payments from the back office: kept per practitioner, listed, and printed as statements."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts.envelope import Envelope
from contracts.payments import Payee, PaymentIssuedV1
from runtime.messaging.consumer import MessageRejectedError
from runtime.messaging.uow import Unit
from services.claims.adapters import payments, pdf
from services.claims.domain import statements
from services.claims.domain.history import BOM, csv_lines


async def on_payment_issued(unit: Unit, _envelope: Envelope, event: PaymentIssuedV1) -> None:
    """Only payments to a professional (HNP) concern the claims service; refunds to insured are skipped."""
    if event.payee is not Payee.PROFESSIONAL:
        return
    if not event.practitioner_id:
        raise MessageRejectedError("practitioner_id: required when the payee is the professional")
    await payments.add_payment(unit.session, event, event.practitioner_id)


def statement_csv(payment: Any) -> bytes:
    return (BOM + csv_lines([statements.HEADER, *statements.statement_rows(payment)])).encode()


def statement_pdf(payment: Any, now: datetime) -> bytes:
    paragraphs = statements.statement_paragraphs(payment, payment.practitioner_id, now)
    table = [list(statements.HEADER[3:]), *(row[3:] for row in statements.statement_rows(payment))]
    return pdf.render(statements.statement_title(payment), paragraphs, table, col_widths=(50, 25, 10, 20))
