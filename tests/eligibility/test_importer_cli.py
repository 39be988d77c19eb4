"""`python -m services.eligibility.importer FILE`: the initial load from the command line."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from contracts.common import Fund
from runtime.messaging.uow import UnitOfWork
from services.eligibility.adapters.repository import RegistryRepository

ROWS = [
    "fund,matricule,code_fse,card_year,card_colour,rank,last_name,first_name,birth_date,relationship,"
    "rights_start,rights_end,etm_scope,etm_start,etm_end,complementary_insurer_email,forward_statements",
    "SPME,380001,CLI001,2026,verte,0,CROVETTO,Noé,1990-01-01,insured,2020-01-01,,,,,,",
    "SPME,380002,CLI002,2026,verte,0,CROVETTO,Zoé,1990-01-01,cousin,2020-01-01,,,,,,",
    "SPME,380001,CLI001,2026,verte,1,CROVETTO,Léo,2020-01-01,child,2020-01-01,,ALD,2021-01-01,,,",
]


async def test_the_cli_loads_the_good_rows_and_prints_every_bad_one(
    tmp_path: Path, database_url: str, data_dir: Path, uow: UnitOfWork
) -> None:
    source = tmp_path / "initial.csv"
    source.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    env = {**os.environ, "ELIGIBILITY_DATABASE_URL": database_url, "FSE_DATA_DIR": str(data_dir)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.eligibility.importer",
        str(source),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    stdout, stderr = out.decode(), err.decode()
    assert process.returncode == 1, stderr
    lines = stdout.splitlines()
    assert lines[0].startswith("initial.csv:3: relationship: ")
    assert lines[-1] == "initial.csv: 1 households, 2 members loaded; 1 rows refused"
    assert "CLI00" not in stdout + stderr
    async with uow() as unit:
        household = await RegistryRepository(unit.session).household(Fund.SPME, "380001")
    assert household is not None
    assert set(household.members) == {0, 1}
    assert household.members[1].etm[0].scope == "ALD"
