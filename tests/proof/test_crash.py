"""The crash test's short form, as the issue gives it (the long form: `python -m bench.crash`): 10,000
claims sent over a minute while each service is killed with SIGKILL three times at random moments
within it and restarted; none lost, none duplicated, every kill amid claims in flight, one e-mail a
rejection. And a shorter form with every service on PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.crash import MAIL_SETTINGS, Kill, Verdict, crash_test, kill_plan
from bench.crash import main as crash_main
from bench.harness import databases, start_system
from runtime.system import SERVICES
from tests.conftest import POSTGRES_ADMIN

pytestmark = pytest.mark.broker


@pytest.mark.parametrize(
    ("postgres", "count", "kills", "seconds"),
    [
        pytest.param(False, 10_000, 3, 60, id="sqlite"),
        # The production database's paths (the relay's and the e-mails' row locks), in a shorter form.
        pytest.param(True, 1_000, 1, 20, id="postgresql", marks=pytest.mark.postgres),
    ],
)
async def test_kill_9_under_load_loses_nothing_and_does_nothing_twice(
    tmp_path: Path, postgres: bool, count: int, kills: int, seconds: float
) -> None:
    # Its own system and broker: the kills must not disturb the shared end-to-end system's groups.
    with databases(POSTGRES_ADMIN if postgres else None) as urls:
        system = await asyncio.to_thread(start_system, tmp_path, env={**MAIL_SETTINGS, **urls})
        try:
            verdict = await crash_test(
                system, count=count, kills_per_service=kills, drain_seconds=180, seed=8, seconds=seconds
            )
        finally:
            await asyncio.to_thread(system.stop)
    assert sorted(kill.service for kill in verdict.kills) == sorted(SERVICES * kills), verdict.report()
    assert not verdict.idle_kills, verdict.report()
    assert verdict.passed, verdict.report()
    assert verdict.final == count
    assert verdict.rejected == verdict.notices == verdict.emails > 0  # one e-mail a rejection


def test_each_service_is_killed_once_in_each_slot_of_the_load() -> None:
    plan = kill_plan(kills_per_service=3, seconds=60, seed=8)
    assert [second for second, _ in plan] == sorted(second for second, _ in plan)
    for service in SERVICES:
        seconds = [second for second, name in plan if name == service]
        assert [int(second // 20) for second in seconds] == [0, 1, 2]
        assert all(second % 20 < 10 for second in seconds)
    assert kill_plan(3, 60, seed=8) == plan != kill_plan(3, 60, seed=9)


def test_a_kill_that_found_nothing_in_flight_fails_the_proof() -> None:
    verdict = Verdict(10, final=10, kills=[Kill("claims", 1.0, 4), Kill("tariff", 30.0, 0)])
    assert verdict.idle_kills == [Kill("tariff", 30.0, 0)]
    assert not verdict.passed
    assert "kills with no claim in flight:    1" in verdict.report()
    assert verdict.report().endswith("FAIL")
    verdict.kills.pop()
    assert verdict.passed


def test_e_mails_sent_twice_pass_only_within_the_crash_window() -> None:
    kills = [Kill("notifications", 5.0, 10), Kill("claims", 6.0, 10), Kill("notifications", 30.0, 3)]
    verdict = Verdict(10, final=10, kills=kills, emails=40, emails_twice=16)
    assert verdict.emails_twice_allowed == 16  # two a sender (four) a kill of notifications
    assert verdict.passed
    verdict.emails_twice = 17
    assert not verdict.passed
    verdict.emails_twice, verdict.emails_unsent = 0, 1
    assert not verdict.passed
    verdict.emails_unsent, verdict.emails_missing = 0, 1
    assert not verdict.passed
    assert "e-mails, unsent, not received:    40, 0, 1" in verdict.report()
    assert Verdict(10, kills=kills, senders=1).emails_twice_allowed == 4  # as the system is set


@pytest.mark.parametrize("arguments", [["--kills", "0"], ["--seconds", "0"]])
def test_a_proof_without_kills_or_load_is_refused(
    arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as refused:
        crash_main(arguments)
    assert refused.value.code == 2
    assert "--kills must be at least 1 and --seconds above 0" in capsys.readouterr().err
