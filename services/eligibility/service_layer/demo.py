"""Demo households for the embedded default: the fixed ones the walkthrough and the end-to-end tests
use, then generated ones (domain/demo_data.py)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime
from typing import cast

from sqlalchemy import func, select

from contracts.common import CardColour, Fund
from contracts.rights import MemberFacts, Relationship
from runtime.service import Runtime
from services.eligibility.adapters.orm import households
from services.eligibility.domain.demo_data import generate
from services.eligibility.domain.records import HouseholdRecord, MemberRecord
from services.eligibility.domain.rights import Period
from services.eligibility.service_layer.loading import load_household
from services.eligibility.settings import Settings

log = logging.getLogger(__name__)
CHUNK = 5
OPEN = Period(date(2020, 1, 1), None)
ALD = Period(date(2020, 1, 1), None, "ALD")
CLOSED = Period(date(2020, 1, 1), date(2025, 12, 31))
Person = tuple[str, str, date, Relationship, Period, Period | None]

# (fund, matricule, code FSE, colour, [(last, first, birth, relationship, rights, etm)]), rank = position
FIXED: list[tuple[Fund, str, str, CardColour, list[Person]]] = [
    (Fund.CCSS, "100001", "A1B2C3", CardColour.VERTE, [
        ("MARTIN", "Louise", date(1980, 4, 2), Relationship.INSURED, OPEN, None),
        ("MARTIN", "Hugo", date(2014, 9, 17), Relationship.CHILD, OPEN, None),
    ]),
    (Fund.CCSS, "100002", "D4E5F6", CardColour.ROSE, [
        ("ROSSI", "Marco", date(1975, 1, 30), Relationship.INSURED, OPEN, ALD),
    ]),
    (Fund.CAMTI, "200001", "G7H8J9", CardColour.BULLE, [
        ("DUBOIS", "Claire", date(1968, 6, 11), Relationship.INSURED, OPEN, None),
        ("DUBOIS", "Paul", date(1966, 3, 5), Relationship.SPOUSE, OPEN, None),
    ]),
    (Fund.CCSS, "100003", "K1L2M3", CardColour.VERTE, [
        ("BERNARD", "Jean", date(1990, 12, 24), Relationship.INSURED, CLOSED, None),
    ]),
    (Fund.SPME, "300001", "N4P5Q6", CardColour.VERTE, [
        ("GARCIA", "Sofia", date(1955, 8, 8), Relationship.INSURED, OPEN, ALD),
    ]),
]  # fmt: skip


def fixed_households() -> list[HouseholdRecord]:
    records = []
    for fund, matricule, code, colour, people in FIXED:
        record = HouseholdRecord(fund, matricule, code, colours={2020: colour})
        for rank, (last, first, birth, relationship, rights, etm) in enumerate(people):
            facts = MemberFacts(
                rank=rank, last_name=last, first_name=first, birth_date=birth, relationship=relationship
            )
            record.members[rank] = MemberRecord(facts, [rights], [etm] if etm else [])
        records.append(record)
    return records


async def seed(runtime: Runtime) -> None:
    """The fixed households at once; the generated ones in the background, in small transactions, so
    that the service answers (and publishes) while they load."""
    settings = cast(Settings, runtime.settings)
    if not settings.demo:
        return
    now = datetime.now(UTC)
    async with runtime.uow() as unit:
        if (await unit.session.execute(select(func.count()).select_from(households))).scalar_one():
            return
        for record in fixed_households():
            await load_household(unit.session, record, now, settings.code_fse_grace)
    generated = generate(settings.demo_households, now.year)
    runtime.extras["demo"] = asyncio.create_task(_load(runtime, generated, now), name="demo-households")
    lines = [
        f"{fund.value:5} matricule {matricule} code FSE {code} card {colour.value:5} "
        f"{'rights CLOSED' if people[0][4] == CLOSED else 'rights open'}"
        for fund, matricule, code, colour, people in FIXED
    ]
    lines.append(f"... and {len(generated)} generated households (matricules 110000+, 210000+, 310000+)")
    demo_dir = settings.data_dir / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    (demo_dir / "eligibility.txt").write_text("Demo households\n" + "\n".join(lines) + "\n")


async def _load(runtime: Runtime, records: list[HouseholdRecord], now: datetime) -> None:
    grace = cast(Settings, runtime.settings).code_fse_grace
    try:
        for start in range(0, len(records), CHUNK):
            async with runtime.uow() as unit:
                for record in records[start : start + CHUNK]:
                    await load_household(unit.session, record, now, grace)
    except Exception as error:
        log.error("demo households not loaded: %s", type(error).__name__)
        raise
    log.info("%d generated demo households loaded", len(records))


async def stop(runtime: Runtime) -> None:
    task = runtime.extras.pop("demo", None)
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
