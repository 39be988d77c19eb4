"""The practitioner's history: what it may hold (12 months, in Monaco dates) and how a row reads in a
spreadsheet that Excel opens as is (semicolons, decimal comma, dd/mm/yyyy)."""

from __future__ import annotations

import calendar
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from services.claims.domain.deadlines import MONACO

BOM = "\ufeff"


@dataclass(frozen=True)
class HistoryFilter:
    practitioner_id: str
    date_from: date | None = None
    date_to: date | None = None
    patient: bytes | None = None
    status: str | None = None
    fund: str | None = None
    act: str | None = None


def months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def retention_cutoff(now: datetime, months: int = 12) -> datetime:
    """The start (midnight in Monaco) of the first day kept: the same day `months` months ago."""
    first_day = months_before(now.astimezone(MONACO).date(), months)
    return datetime.combine(first_day, time(0), MONACO)


def excel_decimal(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}".replace(".", ",")


def excel_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(MONACO)
    return value.strftime("%d/%m/%Y")


class ExcelCsv(csv.excel):
    delimiter = ";"


def csv_lines(rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, dialect=ExcelCsv).writerows(rows)
    return buffer.getvalue()
