"""`python -m bench.relay`: the outbox relay and the raw producer send the same rows, every one of which
arrives (it refuses to print figures otherwise), with a figure for each way. The CPU figures are not
compared: they are timings on a shared machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.inprocess import report
from bench.relay import one_run

pytestmark = pytest.mark.broker


async def test_every_row_arrives_both_ways_and_each_way_has_its_figures(
    kafka_bootstrap: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = await one_run(kafka_bootstrap, tmp_path, rows_sent=500, batch=64, partitions=3)

    assert list(figures) == ["raw producer", "relay"]
    assert all(cost.cpu > 0 and cost.written is None for cost in figures.values())
    report([figures], "a row")
    printed = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [line[0] for line in printed] == ["raw", "relay"]
    assert [line[-2] for line in printed] == ["n/a", "n/a"]
