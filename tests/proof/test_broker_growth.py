"""`python -m bench.broker_growth`: each step adds its one-record batches to one partition only, and every
request measured is answered (a produce, the fetch of its record, a consumer at rest finding nothing).
The CPU figures themselves are not asserted: they are timings on a shared machine."""

from __future__ import annotations

import pytest

from bench.broker_growth import measure, report

pytestmark = pytest.mark.broker


async def test_each_step_fills_one_partition_and_every_request_has_its_figure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = await measure(steps=2, batches=150, rounds=20, rest_seconds=0.2)

    assert [(growing.batches, small.batches) for growing, small in rows] == [(20, 20), (190, 40), (360, 60)]
    report(rows)
    printed = capsys.readouterr().out.splitlines()
    assert [line.split("|")[0].strip() for line in printed[1:]] == ["20", "190", "360"]
