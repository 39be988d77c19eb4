"""Reading many households at once (a batch of claims to check): exactly the wanted ones, on both
databases, and on SQLite through the tables' keys rather than by scanning the registry."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Select

from contracts.common import Fund
from runtime.messaging.uow import UnitOfWork
from services.eligibility.adapters import repository
from services.eligibility.adapters.repository import RegistryRepository
from services.eligibility.domain.demo_data import generate
from services.eligibility.service_layer.loading import load_household
from tests.helpers import sqlite_plan

pytestmark = pytest.mark.broker  # the service's settings name the suite's broker

READS = [
    repository._HOUSEHOLDS,
    repository._RANKS_OF,
    repository._PERIODS_OF,
    repository._COLOURS_OF,
    repository._APPROVALS_OF,
]


async def test_a_batch_reads_exactly_the_wanted_households_however_their_keys_cross(uow: UnitOfWork) -> None:
    records = generate(40, 2026)
    shared = records[0].matricule  # given too to a household of another fund, which nobody asks for
    other = Fund.CAMTI if records[0].fund is not Fund.CAMTI else Fund.CCSS
    records.append(replace(records[1], fund=other, matricule=shared))
    async with uow() as unit:
        for record in records:
            await load_household(unit.session, record, datetime.now(UTC), timedelta(days=30))

    wanted = [(records[0].fund.value, shared), (other.value, records[2].matricule), ("SPME", "0000000")]
    wanted += [(r.fund.value, r.matricule) for r in records[3:20]]
    async with uow() as unit:
        registry = RegistryRepository(unit.session)
        together = await registry.households(wanted)
        one_by_one = {key: await registry.household(Fund(key[0]), key[1]) for key in wanted}

    assert set(together) == {key for key, found in one_by_one.items() if found is not None}
    assert len(together) == len(wanted) - 1 - (records[2].fund is not other)
    assert together == {key: found for key, found in one_by_one.items() if found is not None}
    assert all(h.members and h.colours for h in together.values())
    assert (other.value, shared) not in together


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the query plan read is SQLite's
@pytest.mark.parametrize("statement", READS, ids=["households", "members", "periods", "colours", "approvals"])
async def test_sqlite_reads_a_batchs_households_through_the_tables_keys(
    uow: UnitOfWork, database_url: str, statement: Select[Any]
) -> None:
    keys = {"funds": ["CAMTI", "CCSS"], "matricules": [str(n) for n in range(100001, 100014)]}
    async with uow() as unit:
        plan = await sqlite_plan(unit.session, statement, keys)

    assert plan, "no query plan"
    assert all(line.startswith("SEARCH") for line in plan), plan  # never "SCAN <table>"
