"""Whether a beneficiary's rights are open for a claim: pure rules over the registry's facts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from contracts.common import ActLine, CardColour
from services.eligibility.domain.approvals import Approval, approval_problem
from services.eligibility.domain.card_rules import rule_for
from services.eligibility.domain.codes import CodeFse


@dataclass(frozen=True)
class Period:
    start: date
    end: date | None
    scope: str = ""

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Beneficiary:
    rank: int
    rights: tuple[Period, ...]
    etm: tuple[Period, ...]

    def rights_open(self, days: Sequence[date]) -> bool:
        return all(any(p.covers(day) for p in self.rights) for day in days)

    def etm_on(self, days: Sequence[date]) -> bool:
        return bool(days) and all(any(p.covers(day) for p in self.etm) for day in days)


@dataclass(frozen=True)
class Household:
    code: CodeFse
    colours: Mapping[int, CardColour]
    members: Mapping[int, Beneficiary]
    approvals: Mapping[str, Approval] = field(default_factory=dict)

    def colour_on(self, day: date) -> CardColour | None:
        """The card of the year of care; before a year's card is set, the latest earlier one."""
        years = [year for year in self.colours if year <= day.year] or sorted(self.colours)[:1]
        return self.colours[max(years)] if years else None


@dataclass(frozen=True)
class Verdict:
    eligible: bool
    reason_code: str | None = None
    card_colour: CardColour | None = None
    etm: bool = False
    hnp_allowed: bool = False
    overrun_allowed: bool = False


def check(
    household: Household | None, presented_digest: bytes, at: datetime, rank: int, acts: Sequence[ActLine]
) -> Verdict:
    """Rights must be open on every date of care, the code FSE valid when the claim was received, and
    every act needing a prior approval must carry a granted one."""
    if household is None:
        return Verdict(False, "BENEFICIARY_UNKNOWN")
    if not household.code.accepts(presented_digest, at):
        return Verdict(False, "CODE_FSE_INVALID")
    member = household.members.get(rank)
    if member is None:
        return Verdict(False, "BENEFICIARY_UNKNOWN")
    days = [act.date_of_care for act in acts]
    colour = household.colour_on(min(days))
    if not member.rights_open(days):
        return Verdict(False, "RIGHTS_CLOSED", card_colour=colour)
    problem = approval_problem(acts, rank, household.approvals)
    if problem:
        return Verdict(False, problem, card_colour=colour)
    rule = rule_for(colour)
    return Verdict(
        True,
        card_colour=colour,
        etm=member.etm_on(days),
        hnp_allowed=rule.hnp_allowed,
        overrun_allowed=rule.overrun_allowed,
    )


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
