"""`python -m bench`: the raw broker (4 hops, aiokafka, no logic) and the whole pipeline in one run, with
the same number of claims; then receipt and decision latency at fixed offered loads; CPU per claim of
each process for every pipeline run (idle polling included, read once the work the run caused is over),
the batches each service's consumers handled per claim (bench.consumption), and where its decision
latency went, hop by hop, for all claims and for the slowest 1 % (bench.hops); then each target with its
figure, met or not (bench.targets), and peak memory.

Each pipeline run (and the raw broker's) has a system of its own, started for it: a fetch from the
embedded broker costs about a microsecond for every record batch its partition holds and the broker
cannot be trimmed (`python -m bench.broker_growth`), so a run on a system earlier runs had used would
measure how much they had left in the broker rather than the pipeline; the raw broker always has
fresh topics.

    python -m bench                      # 20,000 claims, 10 s at each offered load
    python -m bench --claims 2000 --duration 3   # a quick run
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from bench import consumption
from bench.harness import log_in, on_a_system
from bench.load import Load, Run
from bench.raw import RawBroker, RawResult
from bench.stats import (
    cpu_per_claim,
    cpu_seconds,
    machine,
    machine_share,
    machine_ticks,
    ms,
    own_cpu_line,
    own_cpu_seconds,
    peak_rss_mib,
    percentile,
)
from bench.targets import judge, table
from bench.watch import DecisionWatcher
from runtime import heap
from runtime.system import System


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=20_000, help="claims (and raw messages) for throughput")
    parser.add_argument("--rates", default="300,1500", help="offered loads in claims/s, comma-separated")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds at each offered load")
    parser.add_argument("--intake", choices=("kafka", "http", "both"), default="both")
    parser.add_argument("--skip-raw", action="store_true", help="measure the pipeline only")
    parser.add_argument(
        "--stall-seconds", type=float, default=120, help="give up after this long without progress"
    )
    parser.add_argument("--data-dir", type=Path, help="keep the system's data here (default: a temp dir)")
    return parser.parse_args(argv)


def line(label: str, run: Run) -> str:
    text = (
        f"  {label:<34} {run.rate:8.0f} claims/s  decided {run.claims}"
        f"  receipt p50 {ms(percentile(run.receipts, 50))} p99 {ms(percentile(run.receipts, 99))}"
        f"  decision p50 {ms(percentile(run.decisions, 50))} p99 {ms(percentile(run.decisions, 99))}"
    )
    if run.offered_rate:
        text += f"  (offered {run.offered_rate:.0f}/s)"
    if run.errors or not run.complete:
        text += f"  errors {run.errors} incomplete={not run.complete}"
    return text


def notified_line(run: Run) -> str:
    """The whole pipeline, its last step included: each rejection's e-mail sent (NotificationSent)."""
    e_mailed = f"{len(run.notices)} of {run.rejected} rejections e-mailed"
    text = (
        f"    to notification: {run.notified_rate:.0f} claims/s, {e_mailed},"
        f" notice p50 {ms(percentile(run.notices, 50))} p99 {ms(percentile(run.notices, 99))}"
    )
    return text if run.notified_complete else text + "  incomplete=True"


def hops_line(run: Run) -> str:
    """Where the decision latency went: p50 / p99 of each hop, in ms (bench.hops)."""
    parts = (
        f"{name} {percentile(spent, 50) * 1000:.0f} / {percentile(spent, 99) * 1000:.0f}"
        for name, spent in run.hops.items()
        if spent
    )
    return f"    hops p50 / p99, ms: {', '.join(parts) or 'n/a'}"


def tail_line(run: Run) -> str:
    """The slowest 1 % of decisions against all: mean ms in each hop (bench.hops.tail)."""
    count, slowest, every = run.tail
    parts = (f"{name} {slowest[name] * 1000:.0f} ({every[name] * 1000:.0f})" for name in slowest)
    return f"    slowest 1 % ({count} claims), mean ms a hop (all claims): {', '.join(parts) or 'n/a'}"


def raw_line(label: str, result: RawResult) -> str:
    return (
        f"  {label:<34} {result.rate:8.0f} msg/s  delivered {result.messages}"
        f"  p50 {ms(percentile(result.delays, 50))} p99 {ms(percentile(result.delays, 99))}"
    )


@dataclass(frozen=True)
class Phase:
    label: str
    intake: str
    claims: int
    rate: float | None = None
    """Offered claims/s; None: as fast as possible."""


def phases(args: argparse.Namespace) -> list[Phase]:
    intakes = ["kafka", "http"] if args.intake == "both" else [args.intake]
    runs = [Phase("throughput", intake, args.claims) for intake in intakes]
    for rate in rates_of(args):
        runs += [
            Phase(f"at {rate:.0f}/s offered", intake, int(rate * args.duration), rate) for intake in intakes
        ]
    return runs


def rates_of(args: argparse.Namespace) -> list[float]:
    return [float(r) for r in args.rates.split(",") if r]


async def measure_raw(args: argparse.Namespace, system: System) -> RawResult:
    print("raw broker: 1 KB messages through 4 hops (aiokafka, batched, no logic)", flush=True)
    async with RawBroker(system.bootstrap_servers) as broker:
        await broker.run(min(1000, args.claims))  # warm-up
        raw = await broker.run(args.claims)
        print(raw_line("throughput", raw), flush=True)
        for rate in rates_of(args):
            print(raw_line(f"at {rate:.0f}/s offered", await broker.run(int(rate * args.duration), rate)))
    return raw


async def measure(
    args: argparse.Namespace, phase: Phase, system: System
) -> tuple[Run, dict[str, float | None]]:
    """One run of the pipeline, after a warm-up, on a system started for it; with each service's peak
    memory."""
    token = await asyncio.to_thread(log_in, system)
    # The benchmark's own work (load, watcher) is not counted; the system's mailbox is.
    pids = system.pids()

    def consumed() -> dict[str, consumption.Consumption]:
        return {name: consumption.read(system.url(name)) for name in system.processes if name != "auth"}

    async with DecisionWatcher(system.bootstrap_servers) as watcher:
        load = Load(system, token, watcher, args.stall_seconds)
        await load.kafka(min(500, args.claims))  # warm-up: groups joined, connections open
        # Taken once the services are quiet (nothing consumed or published for a second) before and
        # after: what a run leaves to do after its last decision (its e-mails, the relays' last sends)
        # is counted in that run.
        _waited, batches = await consumption.settle(consumed)
        heap.freeze()  # the measuring side pauses no more than the services do (runtime.heap)
        processes, ticks, mine = cpu_seconds(pids), machine_ticks(), own_cpu_seconds()
        if phase.intake == "kafka":
            run = await load.kafka(phase.claims, phase.rate)
        else:
            run = await load.http(phase.claims, phase.rate)
        quiet, after = await consumption.settle(consumed)
    per_claim = cpu_per_claim(processes, cpu_seconds(pids), run.claims)
    share = machine_share(ticks, machine_ticks())
    print(line(f"{phase.label}, intake over {run.intake}", run), flush=True)
    print(notified_line(run), flush=True)
    when = f"read {quiet:.1f} s after the last decision, once quiet"
    beside = own_cpu_line(mine, run.claims)
    print(f"    CPU per claim, ms: {per_claim} ({beside}; {share}; {when})", flush=True)
    print(f"    batches per claim (events a batch): {consumption.batches_line(batches, after, run.claims)}")
    print(hops_line(run), flush=True)
    print(tail_line(run), flush=True)
    return run, {name: peak_rss_mib(process.pid) for name, process in system.processes.items()}


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    print(f"bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}", flush=True)

    # Every run's directory is kept until the benchmark ends (then deleted, unless --data-dir is given):
    # on a file system with no journal each file created skips the inodes deleted in the last minutes.
    with tempfile.TemporaryDirectory(prefix="fse-bench-") as scratch:
        run_benchmark(args, args.data_dir or Path(scratch))


def run_benchmark(args: argparse.Namespace, directory: Path) -> None:
    def data_dir(name: str) -> Path:
        return directory / name

    raw = None if args.skip_raw else on_a_system(data_dir("raw"), lambda system: measure_raw(args, system))
    print(
        "pipeline: intake -> eligibility -> tariff -> decision -> notification (rejections),"
        " each run on a system started for it",
        flush=True,
    )
    throughput: list[Run] = []
    paced: dict[float, list[Run]] = {}
    memory: dict[str, list[float]] = {}
    for number, phase in enumerate(phases(args)):
        run, peaks = on_a_system(data_dir(f"run-{number}"), partial(measure, args, phase))
        if phase.rate is None:
            throughput.append(run)
        else:
            paced.setdefault(phase.rate, []).append(run)
        for name, peak in peaks.items():
            memory.setdefault(name, []).extend([] if peak is None else [peak])
    best = max(throughput, key=lambda run: run.rate, default=None)
    if raw and best:
        notified = best.notified_rate
        print(
            f"ratio pipeline / raw 4 hops: {best.rate / raw.rate:.2f} ({best.rate:.0f} / {raw.rate:.0f});"
            f" to notification {notified / raw.rate:.2f} ({notified:.0f} / {raw.rate:.0f})"
        )
    print("targets:")
    for text in table(judge(raw, throughput, paced)):
        print(text)
    print("peak memory (VmHWM) per service, the highest of the runs:")
    for name, highs in memory.items():
        print(f"  {name:<14} {f'{max(highs):.0f} MiB' if highs else 'n/a'}")
    print(f"done, {machine()}")


if __name__ == "__main__":
    main()
