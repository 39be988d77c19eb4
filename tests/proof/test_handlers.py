"""`python -m bench.handlers`: the claims consumer fed a claim's events in-process decides every claim as
sent (it refuses to print figures otherwise) and prints a figure for each step."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.handlers import one_run, report


async def test_every_claim_is_decided_and_each_step_has_its_figure(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = await one_run(claims=30, batch=7, keys=data_dir)  # the tests' keys: crypto stays as set

    assert list(figures) == ["read only", "ClaimSubmitted", "EligibilityChecked", "ClaimPriced"]
    assert all(seconds > 0 for seconds in figures.values())
    assert figures["ClaimSubmitted"] > figures["read only"]  # the handler does more than read
    report([figures, figures])
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in printed[1:]] == [
        "read",
        "ClaimSubmitted",
        "EligibilityChecked",
        "ClaimPriced",
    ]
