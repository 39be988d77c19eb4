"""What the portal shows once a patient is identified: the household on a given day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from contracts.common import CardColour
from services.eligibility.domain.approvals import Approval
from services.eligibility.domain.card_rules import rule_for
from services.eligibility.domain.records import MemberDetails
from services.eligibility.domain.rights import Household, age_on


@dataclass(frozen=True)
class MemberView:
    rank: int
    last_name: str
    first_name: str
    birth_date: date
    age: int
    relationship: str
    rights_open: bool
    etm_scopes: list[str]


@dataclass(frozen=True)
class HouseholdView:
    card_colour: CardColour | None
    hnp_allowed: bool
    overrun_allowed: bool
    members: list[MemberView]
    open_approvals: list[Approval]


def household_view(household: Household, details: list[MemberDetails], day: date) -> HouseholdView:
    colour = household.colour_on(day)
    rule = rule_for(colour)
    members = []
    for person in details:
        beneficiary = household.members.get(person.rank)
        members.append(
            MemberView(
                rank=person.rank,
                last_name=person.last_name,
                first_name=person.first_name,
                birth_date=person.birth_date,
                age=age_on(person.birth_date, day),
                relationship=person.relationship,
                rights_open=bool(beneficiary and beneficiary.rights_open([day])),
                etm_scopes=sorted({p.scope for p in beneficiary.etm if p.covers(day)}) if beneficiary else [],
            )
        )
    return HouseholdView(
        card_colour=colour,
        hnp_allowed=rule.hnp_allowed,
        overrun_allowed=rule.overrun_allowed,
        members=members,
        open_approvals=sorted(
            (a for a in household.approvals.values() if a.is_open(day)), key=lambda a: a.reference
        ),
    )
