"""Realistic demo households for the embedded default: card colours in the shares of Avenant n°19
(verte 65 %, rose 10 %, bulle 25 %), couples, single parents and people living alone, closed rights and
ETM here and there. Deterministic for a given seed; the fixed households come first and are kept."""

from __future__ import annotations

import random
import string
from datetime import date

from contracts.common import CardColour, Fund
from contracts.rights import MemberFacts, Relationship
from services.eligibility.domain.records import HouseholdRecord, MemberRecord
from services.eligibility.domain.rights import Period

SHARES = {CardColour.VERTE: 65, CardColour.ROSE: 10, CardColour.BULLE: 25}
FUND_SHARES = {Fund.CCSS: 75, Fund.CAMTI: 20, Fund.SPME: 5}
FIRST_MATRICULE = {Fund.CCSS: 110000, Fund.CAMTI: 210000, Fund.SPME: 310000}
LAST_NAMES = "ROSSI MARTIN GIORDANO BERTRAND MARCHETTI LORENZI FERRERO BLANC PASTOR NOTARI BOERI CROVETTO"
FIRST_NAMES = "Louise Hugo Marco Chiara Paul Emma Léa Lucas Giulia Antoine Sofia Jules Inès Matteo Clara"

OPEN = date(2020, 1, 1)


def _code(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_uppercase + string.digits, k=6))


def _birth(rng: random.Random, low: int, high: int) -> date:
    return date(rng.randint(low, high), rng.randint(1, 12), rng.randint(1, 28))


def _people(rng: random.Random, last: str) -> list[MemberFacts]:
    firsts = FIRST_NAMES.split()
    shape = rng.choices(["alone", "couple", "parent"], weights=[35, 45, 20])[0]
    people = [
        MemberFacts(
            rank=0,
            last_name=last,
            first_name=rng.choice(firsts),
            birth_date=_birth(rng, 1950, 2000),
            relationship=Relationship.INSURED,
        )
    ]
    if shape == "couple":
        people.append(
            MemberFacts(
                rank=1,
                last_name=last,
                first_name=rng.choice(firsts),
                birth_date=_birth(rng, 1950, 2000),
                relationship=Relationship.SPOUSE,
            )
        )
    if shape != "alone":
        for _ in range(rng.randint(1 if shape == "parent" else 0, 3)):
            people.append(
                MemberFacts(
                    rank=len(people),
                    last_name=last,
                    first_name=rng.choice(firsts),
                    birth_date=_birth(rng, 2008, 2024),
                    relationship=Relationship.CHILD,
                )
            )
    return people


def generate(count: int, year: int, seed: int = 2026) -> list[HouseholdRecord]:
    rng = random.Random(seed)  # noqa: S311 - demo data, not a secret
    next_matricule = dict(FIRST_MATRICULE)
    records = []
    for _ in range(count):
        fund = rng.choices(list(FUND_SHARES), weights=list(FUND_SHARES.values()))[0]
        matricule = str(next_matricule[fund])
        next_matricule[fund] += 1
        colour = rng.choices(list(SHARES), weights=list(SHARES.values()))[0]
        record = HouseholdRecord(fund, matricule, _code(rng), colours={year - 1: colour, year: colour})
        closed = rng.random() < 0.05
        for facts in _people(rng, rng.choice(LAST_NAMES.split())):
            rights = [Period(OPEN, date(year - 1, 12, 31) if closed else None)]
            etm = [Period(date(year, 1, 1), None, "ALD")] if rng.random() < 0.08 else []
            record.members[facts.rank] = MemberRecord(facts, rights, etm)
        records.append(record)
    return records
