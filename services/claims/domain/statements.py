"""HNP statements: what the funds paid a professional (tiers payant), line by line, as a spreadsheet
or a printable document."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.claims.domain.history import excel_date, excel_decimal

HEADER = ("Paiement", "Caisse", "Payé le", "Référence FSE", "Matricule", "Rang", "Montant")


def statement_rows(payment: Any) -> list[list[str]]:
    return [
        [
            payment.payment_id,
            payment.fund,
            excel_date(payment.paid_at),
            line["reference"],
            line["matricule"],
            str(line.get("beneficiary_rank", 0)),
            excel_decimal(Decimal(line["amount"])),
        ]
        for line in payment.claims
    ]


def statement_title(payment: Any) -> str:
    return f"Relevé de paiement HNP {payment.payment_id}"


def statement_paragraphs(payment: Any, practitioner_id: str, printed_at: datetime) -> Sequence[str]:
    return (
        f"Professionnel : {practitioner_id}",
        f"Caisse : {payment.fund}    Payé le : {excel_date(payment.paid_at)}",
        f"Total : {excel_decimal(payment.total)} EUR",
        f"Édité le {excel_date(printed_at)}",
    )
