"""Prior approvals (entente préalable): which acts need one (data, see data/SOURCES.md) and whether a
claim's acts carry a granted one."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path

from contracts.common import ActLine

ACTS_FILE = Path(__file__).parent.parent / "data" / "approval_acts.csv"


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    REFUSED = "refused"


@dataclass(frozen=True)
class Approval:
    reference: str
    rank: int
    nomenclature: str
    act_code: str
    status: ApprovalStatus
    valid_until: date | None = None

    def is_open(self, day: date) -> bool:
        """Pending, or granted and still valid on `day`: what the portal lists."""
        if self.status is ApprovalStatus.PENDING:
            return True
        return self.status is ApprovalStatus.GRANTED and (self.valid_until is None or day <= self.valid_until)


@cache
def acts_needing_approval() -> frozenset[tuple[str, str]]:
    with ACTS_FILE.open(newline="") as handle:
        return frozenset((row["nomenclature"], row["code"]) for row in csv.DictReader(handle))


def needs_approval(act: ActLine) -> bool:
    return (act.nomenclature.value, act.code) in acts_needing_approval()


def approval_problem(acts: Sequence[ActLine], rank: int, approvals: Mapping[str, Approval]) -> str | None:
    """The reason code for the first act that needs an approval and lacks a granted, valid one.
    `approvals` holds the insured's approvals by reference."""
    for act in acts:
        if not needs_approval(act):
            continue
        approval = approvals.get(act.approval_reference or "")
        if (
            approval is None
            or approval.rank != rank
            or (approval.nomenclature, approval.act_code) != (act.nomenclature.value, act.code)
        ):
            return "APPROVAL_MISSING"
        if approval.status is ApprovalStatus.PENDING:
            return "APPROVAL_PENDING"
        if approval.status is ApprovalStatus.REFUSED:
            return "APPROVAL_REFUSED"
        if approval.valid_until is not None and act.date_of_care > approval.valid_until:
            return "APPROVAL_MISSING"
    return None
