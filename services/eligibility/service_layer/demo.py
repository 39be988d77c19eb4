"""Demo households for the embedded default: each card colour, open and closed rights, ETM."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from contracts.common import CardColour, Fund
from runtime.service import Runtime
from services.eligibility.adapters.orm import households
from services.eligibility.adapters.repository import RegistryRepository

Span = tuple[date, date | None]
Person = tuple[int, str, str, date, str, Span, Span | None]

OPEN: Span = (date(2020, 1, 1), None)
CLOSED: Span = (date(2020, 1, 1), date(2025, 12, 31))

# (fund, matricule, code FSE, colour, [(rank, last, first, birth, relationship, rights, etm)])
DEMO: list[tuple[Fund, str, str, CardColour, list[Person]]] = [
    (
        Fund.CCSS,
        "100001",
        "A1B2C3",
        CardColour.VERTE,
        [
            (0, "MARTIN", "Louise", date(1980, 4, 2), "insured", OPEN, None),
            (1, "MARTIN", "Hugo", date(2014, 9, 17), "child", OPEN, None),
        ],
    ),
    (
        Fund.CCSS,
        "100002",
        "D4E5F6",
        CardColour.ROSE,
        [
            (0, "ROSSI", "Marco", date(1975, 1, 30), "insured", OPEN, OPEN),
        ],
    ),
    (
        Fund.CAMTI,
        "200001",
        "G7H8J9",
        CardColour.BULLE,
        [
            (0, "DUBOIS", "Claire", date(1968, 6, 11), "insured", OPEN, None),
            (1, "DUBOIS", "Paul", date(1966, 3, 5), "spouse", OPEN, None),
        ],
    ),
    (
        Fund.CCSS,
        "100003",
        "K1L2M3",
        CardColour.VERTE,
        [
            (0, "BERNARD", "Jean", date(1990, 12, 24), "insured", CLOSED, None),
        ],
    ),
    (
        Fund.SPME,
        "300001",
        "N4P5Q6",
        CardColour.VERTE,
        [
            (0, "GARCIA", "Sofia", date(1955, 8, 8), "insured", OPEN, OPEN),
        ],
    ),
]


async def seed(runtime: Runtime) -> None:
    if not runtime.settings.demo:
        return
    async with runtime.uow() as unit:
        if (await unit.session.execute(select(func.count()).select_from(households))).scalar_one():
            return
        registry = RegistryRepository(unit.session)
        for fund, matricule, code, colour, people in DEMO:
            await registry.add_household(fund, matricule, code, colour)
            for rank, last, first, birth, relationship, rights, etm in people:
                await registry.add_member(fund, matricule, rank, (last, first), birth, relationship)
                await registry.add_period(fund, matricule, rank, "rights", *rights)
                if etm:
                    await registry.add_period(fund, matricule, rank, "etm", *etm)
    lines = [
        f"{fund.value:5} matricule {matricule} code FSE {code} card {colour.value:5} "
        f"{'rights CLOSED' if people[0][5] == CLOSED else 'rights open'}"
        for fund, matricule, code, colour, people in DEMO
    ]
    demo_dir = runtime.settings.data_dir / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    (demo_dir / "eligibility.txt").write_text("Demo households\n" + "\n".join(lines) + "\n")
