"""The benchmark's accounting per claim decided: CPU from /proc, consumer batches from /metrics."""

from __future__ import annotations

import os
import subprocess
import sys

from bench import consumption
from bench.stats import cpu_per_claim, cpu_seconds, own_cpu_line, own_cpu_seconds


def test_cpu_is_read_per_process_and_a_gone_process_is_left_out() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    before = cpu_seconds({"me": os.getpid(), "gone": gone.pid})
    sum(i * i for i in range(2_000_000))  # some CPU
    after = cpu_seconds({"me": os.getpid()})
    assert set(before) == {"me"}
    assert after["me"] > before["me"]


def test_the_benchmark_reads_its_own_cpu_from_its_process() -> None:
    before, process = own_cpu_seconds(), cpu_seconds({"me": os.getpid()})["me"]
    sum(i * i for i in range(2_000_000))  # some CPU
    after = own_cpu_seconds()
    assert after > before
    assert after >= process >= before


def test_the_benchmark_s_own_cpu_is_given_a_claim() -> None:
    line = own_cpu_line(own_cpu_seconds() - 2.0, 1000)  # as if 2 s of CPU had gone into 1,000 claims
    prefix, _, rest = line.partition("watcher ")
    assert prefix == "the benchmark's own load and "
    spent, _, tail = rest.partition(" ")
    assert 2.0 <= float(spent) < 2.5
    assert tail == "beside, not counted"
    assert own_cpu_line(own_cpu_seconds(), 0).startswith("the benchmark's own load and watcher 0.0")


def test_cpu_per_claim_divides_each_process_and_sums() -> None:
    line = cpu_per_claim({"claims": 1.0, "broker": 2.0}, {"claims": 1.5, "broker": 2.25}, 100)
    assert line == "claims 5.00, broker 2.50; total 7.50"
    assert cpu_per_claim({"claims": 1.0}, {"claims": 2.0}, 0) == "n/a"


METRICS = """\
# HELP faststream_received_messages_total Count of received messages by broker and handler
faststream_received_messages_total{app_name="claims",broker="kafka",handler="fse.eligibility"} 30.0
faststream_received_messages_total{app_name="claims",broker="kafka",handler="fse.tariff"} 12.0
faststream_received_messages_total{app_name="claims",broker="kafka",handler="fse.auth"} 500.0
faststream_received_processed_messages_duration_seconds_bucket{app_name="claims",le="0.005"} 3.0
faststream_received_processed_messages_duration_seconds_count{app_name="claims",handler="fse.eligibility"} 3.0
faststream_received_processed_messages_duration_seconds_count{app_name="claims",handler="fse.tariff"} 4.0
faststream_received_processed_messages_duration_seconds_count{app_name="claims",handler="fse.auth"} 500.0
# HELP fse_outbox_published_total events published by the outbox relay
fse_outbox_published_total 17.0
"""


def test_consumption_counts_the_claim_path_and_leaves_the_revocations_reader_out() -> None:
    assert consumption.parse(METRICS) == consumption.Consumption(messages=42.0, batches=7.0, published=17.0)
    assert consumption.parse("") == consumption.Consumption()


def test_batches_per_claim_and_events_a_batch_between_two_readings() -> None:
    before = {"claims": consumption.Consumption(10, 2), "tariff": consumption.Consumption(5, 5)}
    after = {"claims": consumption.Consumption(52, 9), "tariff": consumption.Consumption(5, 5)}
    assert consumption.batches_line(before, after, 14) == "claims 0.50 (6.0), tariff 0.00 (-)"
    assert consumption.batches_line(before, after, 0) == "n/a"


async def test_settle_waits_until_two_readings_are_the_same() -> None:
    readings = iter([{"claims": consumption.Consumption(n, n, n)} for n in (1, 2, 3, 3, 4)])
    taken: list[dict[str, consumption.Consumption]] = []

    def read() -> dict[str, consumption.Consumption]:
        taken.append(next(readings))
        return taken[-1]

    _waited, last = await consumption.settle(read, interval=0.001)
    assert [r["claims"].messages for r in taken] == [1, 2, 3, 3]
    assert last == {"claims": consumption.Consumption(3, 3, 3)}


async def test_settle_gives_up_after_its_limit_when_work_never_stops() -> None:
    count = iter(range(1_000_000))

    def read() -> dict[str, consumption.Consumption]:
        return {"claims": consumption.Consumption(next(count))}

    waited, _last = await consumption.settle(read, interval=0.001, limit=0.05)
    assert waited >= 0.05
