"""`python -m bench.handlers`: the claims consumer fed a claim's events in-process decides every claim as
sent, the application answers every transmission over HTTP with a receipt (it refuses to print figures
otherwise), and it prints a figure for each step."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.handlers import one_run
from bench.inprocess import report


async def test_every_claim_is_decided_and_each_step_has_its_figures(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = await one_run(claims=30, batch=7, keys=data_dir)  # the tests' keys: crypto stays as set

    steps = ["ClaimSubmitted", "EligibilityChecked", "ClaimPriced", "POST /claims"]
    assert list(figures) == ["read only", *steps]
    assert all(cost.cpu > 0 for cost in figures.values())
    assert figures["ClaimSubmitted"].cpu > figures["read only"].cpu  # the handler does more than read
    assert figures["read only"].written == 0  # reading writes nothing
    for step in steps:
        written = figures[step].written
        assert written is not None
        assert written >= 4096 / 7  # at least a page of WAL a batch
    report([figures, figures], "an event")
    printed = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [line[0] for line in printed] == ["read", *(step.split()[0] for step in steps)]
    assert printed[0][-2] == "0"  # bytes written reading: none
