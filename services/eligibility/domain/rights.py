"""Whether a beneficiary's rights are open for a claim: pure rules over the registry's facts."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from contracts.common import CardColour

RULES_FILE = Path(__file__).parent.parent / "data" / "card_rules.json"


@dataclass(frozen=True)
class Period:
    start: date
    end: date | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Beneficiary:
    rank: int
    rights: tuple[Period, ...]
    etm: tuple[Period, ...]


@dataclass(frozen=True)
class Household:
    code_fse_digest: bytes
    card_colour: CardColour
    members: dict[int, Beneficiary]


@dataclass(frozen=True)
class Verdict:
    eligible: bool
    reason_code: str | None = None
    card_colour: CardColour | None = None
    etm: bool = False
    hnp_allowed: bool = False
    overrun_allowed: bool = False


@dataclass(frozen=True)
class CardRule:
    overrun_allowed: bool
    hnp_allowed: bool


@cache
def card_rules() -> dict[CardColour, CardRule]:
    data = json.loads(RULES_FILE.read_text())["colours"]
    return {
        CardColour(name): CardRule(bool(rule["overrun_allowed"]), bool(rule["hnp_allowed"]))
        for name, rule in data.items()
    }


def check(household: Household | None, presented_digest: bytes, rank: int, dates: list[date]) -> Verdict:
    """Rights must be open on every date of care; the code FSE must match (compared in constant time)."""
    if household is None or rank not in household.members:
        return Verdict(False, "BENEFICIARY_UNKNOWN")
    if not hmac.compare_digest(household.code_fse_digest, presented_digest):
        return Verdict(False, "CODE_FSE_INVALID")
    member = household.members[rank]
    if not all(any(p.covers(day) for p in member.rights) for day in dates):
        return Verdict(False, "RIGHTS_CLOSED", card_colour=household.card_colour)
    rule = card_rules()[household.card_colour]
    return Verdict(
        True,
        card_colour=household.card_colour,
        etm=all(any(p.covers(day) for p in member.etm) for day in dates),
        hnp_allowed=rule.hnp_allowed,
        overrun_allowed=rule.overrun_allowed,
    )
