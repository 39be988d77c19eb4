"""The initial load: every bad row reported with its line and reason, the good ones loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from runtime.messaging.uow import UnitOfWork
from services.eligibility.domain.importing import RowError, parse
from services.eligibility.service_layer.loading import load_household

CHUNK = 200


@dataclass(frozen=True)
class ImportReport:
    households: int
    members: int
    errors: list[RowError]


async def import_text(uow: UnitOfWork, text: str, kind: str, grace: timedelta) -> ImportReport:
    records, errors = parse(text, kind)
    now = datetime.now(UTC)
    for start in range(0, len(records), CHUNK):
        async with uow() as unit:
            for record in records[start : start + CHUNK]:
                await load_household(unit.session, record, now, grace)
    return ImportReport(len(records), sum(len(r.members) for r in records), errors)


def kind_of(name: str) -> str:
    """csv, jsonl or json from a file name or media type."""
    lowered = name.lower()
    if lowered.endswith(("csv", "text/csv")):
        return "csv"
    if lowered.endswith((".jsonl", ".ndjson", "x-ndjson", "jsonl")):
        return "jsonl"
    if lowered.endswith("json"):
        return "json"
    raise ValueError("format: expected .csv, .jsonl or .json")
