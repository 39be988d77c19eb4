"""The crash test's short form (the long form: `python -m bench.crash`): claims in flight while each
consuming service is killed with SIGKILL and restarted; none lost, none duplicated."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.crash import crash_test
from bench.harness import start_system

pytestmark = pytest.mark.broker


async def test_kill_9_under_load_loses_nothing_and_does_nothing_twice(tmp_path: Path) -> None:
    # Its own system and broker: the kills must not disturb the shared end-to-end system's groups.
    system = await asyncio.to_thread(start_system, tmp_path)
    try:
        verdict = await crash_test(system, count=300, kills_per_service=1, drain_seconds=180, seed=8)
    finally:
        await asyncio.to_thread(system.stop)
    assert len(verdict.kills) == 4, verdict.report()
    assert verdict.passed, verdict.report()
    assert verdict.final == 300
    assert verdict.rejected == verdict.notices > 0
