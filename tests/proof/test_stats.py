"""The benchmark's CPU accounting: /proc readings per process, divided by the claims decided."""

from __future__ import annotations

import os
import subprocess
import sys

from bench.stats import cpu_per_claim, cpu_seconds


def test_cpu_is_read_per_process_and_a_gone_process_is_left_out() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    before = cpu_seconds({"me": os.getpid(), "gone": gone.pid})
    sum(i * i for i in range(2_000_000))  # some CPU
    after = cpu_seconds({"me": os.getpid()})
    assert set(before) == {"me"}
    assert after["me"] > before["me"]


def test_cpu_per_claim_divides_each_process_and_sums() -> None:
    line = cpu_per_claim({"claims": 1.0, "broker": 2.0}, {"claims": 1.5, "broker": 2.25}, 100)
    assert line == "claims 5.00, broker 2.50; total 7.50"
    assert cpu_per_claim({"claims": 1.0}, {"claims": 2.0}, 0) == "n/a"
