"""The initial load's file formats (CSV, JSON Lines, or a JSON array): one row per member, household
fields repeated on each row. Every bad row is reported with its line and the field and reason (never the
value: it may be identifying); the good rows are grouped into households."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError, model_validator

from contracts.common import CardColour, CodeFse, Fund, Matricule
from contracts.rights import EtmScope, MemberFacts, Name, Rank, Relationship
from services.eligibility.domain.records import HouseholdRecord, MemberRecord
from services.eligibility.domain.rights import Period


class ImportRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fund: Fund
    matricule: Matricule
    code_fse: CodeFse
    card_year: Annotated[int, Field(ge=2000, le=2100)]
    card_colour: CardColour
    rank: Rank
    last_name: Name
    first_name: Name
    birth_date: date
    relationship: Relationship
    rights_start: date
    rights_end: date | None = None
    etm_scope: EtmScope | None = None
    etm_start: date | None = None
    etm_end: date | None = None
    complementary_insurer_email: EmailStr | None = None
    forward_statements: bool = False

    @model_validator(mode="before")
    @classmethod
    def _blank_cells_are_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value != ""}
        return data


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str


def read_rows(text: str, kind: str) -> list[tuple[int, dict[str, Any] | None]]:
    """(line, raw row) pairs; a row that is not an object comes as None. `kind`: csv, jsonl or json."""
    if kind == "csv":
        reader = csv.DictReader(io.StringIO(text))
        return [(reader.line_num, row) for row in reader]
    if kind == "json":
        items = json.loads(text)
        if not isinstance(items, list):
            raise ValueError("body: a JSON array of rows is expected")
        return [(n, item if isinstance(item, dict) else None) for n, item in enumerate(items, 1)]
    rows: list[tuple[int, dict[str, Any] | None]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                item = None
            rows.append((number, item if isinstance(item, dict) else None))
    return rows


def _check(line: int, raw: dict[str, Any] | None) -> tuple[ImportRow | None, list[RowError]]:
    if raw is None:
        return None, [RowError(line, "row", "not a JSON object")]
    if None in raw:
        return None, [RowError(line, "row", "more cells than columns")]
    try:
        row = ImportRow.model_validate(raw)
    except ValidationError as error:
        return None, [
            RowError(line, ".".join(str(p) for p in e["loc"]) or "row", e["msg"]) for e in error.errors()
        ]
    if row.rights_end and row.rights_end < row.rights_start:
        return None, [RowError(line, "rights_end", "before rights_start")]
    if (row.etm_start is None) != (row.etm_scope is None):
        return None, [RowError(line, "etm_scope", "etm_scope and etm_start go together")]
    if row.etm_start and row.etm_end and row.etm_end < row.etm_start:
        return None, [RowError(line, "etm_end", "before etm_start")]
    return row, []


def parse(text: str, kind: str) -> tuple[list[HouseholdRecord], list[RowError]]:
    households: dict[tuple[Fund, str], HouseholdRecord] = {}
    errors: list[RowError] = []
    for line, raw in read_rows(text, kind):
        row, problems = _check(line, raw)
        if row is None:
            errors.extend(problems)
            continue
        key = (row.fund, row.matricule)
        record = households.setdefault(key, HouseholdRecord(row.fund, row.matricule, row.code_fse))
        if record.code_fse != row.code_fse:
            errors.append(RowError(line, "code_fse", "differs from an earlier row of this household"))
            continue
        if record.colours.setdefault(row.card_year, row.card_colour) != row.card_colour:
            errors.append(RowError(line, "card_colour", "differs from an earlier row for this year"))
            continue
        record.insurer_email = row.complementary_insurer_email or record.insurer_email
        record.forward_statements = record.forward_statements or row.forward_statements
        facts = MemberFacts(
            rank=row.rank,
            last_name=row.last_name,
            first_name=row.first_name,
            birth_date=row.birth_date,
            relationship=row.relationship,
        )
        member = record.members.setdefault(row.rank, MemberRecord(facts))
        member.rights.append(Period(row.rights_start, row.rights_end))
        if row.etm_start and row.etm_scope:
            member.etm.append(Period(row.etm_start, row.etm_end, row.etm_scope))
    return list(households.values()), errors
