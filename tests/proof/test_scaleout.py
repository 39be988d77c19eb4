"""The scale-out proof's short form (the long form: `python -m bench.scaleout`): two instances of each
consuming service in one group share the partitions; halfway through the load one of each is killed
with SIGKILL, the survivor takes its partitions over, and nothing is lost or done twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.crash import CONSUMERS, MAIL_SETTINGS
from bench.harness import start_system
from bench.scaleout import scale_out
from runtime.broker import SCALE_OUT_PARTITIONS

pytestmark = pytest.mark.broker


async def test_two_instances_share_a_group_and_the_survivor_of_a_kill_takes_over(tmp_path: Path) -> None:
    # Its own system and broker, with a partition a topic for each instance.
    system = await asyncio.to_thread(
        start_system, tmp_path, partitions=SCALE_OUT_PARTITIONS, env=MAIL_SETTINGS
    )
    try:
        verdict, shares = await scale_out(system, count=1000, drain_seconds=120, seconds=15)
    finally:
        await asyncio.to_thread(system.stop)
    assert set(shares) == set(CONSUMERS)
    assert all(first > 0 and second > 0 for first, second in shares.values()), shares
    assert len(verdict.kills) == len(CONSUMERS), verdict.report()
    assert not verdict.idle_kills, verdict.report()
    assert verdict.passed, verdict.report()
    assert verdict.final == 1000
    assert verdict.rejected == verdict.notices == verdict.emails > 0  # one e-mail a rejection
