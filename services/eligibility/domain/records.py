"""A household as the initial load and the demo data describe it: everything the registry holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from contracts.common import CardColour, Fund
from contracts.rights import MemberFacts
from services.eligibility.domain.rights import Period


@dataclass
class MemberRecord:
    facts: MemberFacts
    rights: list[Period] = field(default_factory=list)
    etm: list[Period] = field(default_factory=list)


@dataclass
class HouseholdRecord:
    fund: Fund
    matricule: str
    code_fse: str
    colours: dict[int, CardColour] = field(default_factory=dict)
    members: dict[int, MemberRecord] = field(default_factory=dict)
    insurer_email: str | None = None
    forward_statements: bool = False


@dataclass(frozen=True)
class MemberDetails:
    rank: int
    last_name: str
    first_name: str
    birth_date: date
    relationship: str
