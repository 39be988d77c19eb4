"""The practitioner's last 12 months: filtered pages, one claim's detail, and the streamed CSV export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.crypto import fingerprint
from runtime.db import Sessions
from services.claims.adapters import history
from services.claims.domain.history import (
    BOM,
    HistoryFilter,
    csv_lines,
    excel_date,
    excel_decimal,
    retention_cutoff,
)
from services.claims.domain.model import patient_key

HEADER = (
    "Référence",
    "Reçue le",
    "Date des soins",
    "Caisse",
    "Matricule",
    "Rang",
    "Actes",
    "Statut",
    "Motif",
    "Honoraires",
    "Remboursement",
    "Part patient",
    "Versé au professionnel",
    "Saisie par",
)


def make_filter(
    practitioner_id: str,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    fund: str | None = None,
    matricule: str | None = None,
    status: str | None = None,
    act: str | None = None,
) -> HistoryFilter:
    """The patient is looked up by the keyed fingerprint of fund and matricule (both are needed)."""
    patient = fingerprint(patient_key(fund, matricule)) if fund and matricule else None
    return HistoryFilter(practitioner_id, date_from, date_to, patient, status, fund, act)


async def page(
    session: AsyncConnection, wanted: HistoryFilter, now: datetime, limit: int, offset: int
) -> list[Any]:
    return await history.page_of_history(session, wanted, retention_cutoff(now), limit, offset)


def summary(row: Any) -> dict[str, Any]:
    content = row.content
    return {
        "reference": row.reference,
        "status": row.status,
        "received_at": row.received_at,
        "first_date_of_care": row.first_date_of_care,
        "fund": row.fund,
        "matricule": content["matricule"],
        "beneficiary_rank": content.get("beneficiary_rank", 0),
        "acts": [line["code"] for line in content["acts"]],
        "reason_code": row.reason_code,
        "total_fee": row.total_fee,
        "total_reimbursement": row.total_reimbursement,
        "patient_share": row.patient_share,
        "paid_to_professional": row.paid_to_professional,
        "entered_by": row.entered_by,
    }


def _csv_row(row: Any) -> list[str]:
    s = summary(row)
    return [
        s["reference"],
        excel_date(s["received_at"]),
        excel_date(s["first_date_of_care"]),
        s["fund"],
        s["matricule"],
        str(s["beneficiary_rank"]),
        " ".join(s["acts"]),
        s["status"],
        row.reason or "",
        excel_decimal(s["total_fee"]),
        excel_decimal(s["total_reimbursement"]),
        excel_decimal(s["patient_share"]),
        excel_decimal(s["paid_to_professional"]),
        s["entered_by"],
    ]


async def export_csv(
    sessions: Sessions, wanted: HistoryFilter, now: datetime, chunk: int = 200
) -> AsyncIterator[str]:
    """UTF-8 text with a byte-order mark, streamed `chunk` rows at a time."""
    yield BOM + csv_lines([HEADER])
    async with sessions() as session:
        batch: list[list[str]] = []
        async for row in history.stream_history(session, wanted, retention_cutoff(now)):
            batch.append(_csv_row(row))
            if len(batch) == chunk:
                yield csv_lines(batch)
                batch = []
        if batch:
            yield csv_lines(batch)
