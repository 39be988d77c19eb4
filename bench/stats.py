"""Small statistics and formatting helpers shared by the benchmark and the crash test."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN when there is nothing to rank."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.1f} ms"


def peak_rss_mib(pid: int) -> float | None:
    """The process's peak resident set (VmHWM) in MiB, read from /proc; None once it has exited."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """CPU time (user + system) each process has used so far, from /proc; one that is gone is left out."""
    paths = {name: Path(f"/proc/{pid}/stat") for name, pid in pids.items()}
    used: dict[str, float] = {}
    for name, path in paths.items():
        try:
            fields = path.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[name] = (int(fields[11]) + int(fields[12])) / _TICKS
    return used


def own_cpu_seconds() -> float:
    """The CPU time this process has used so far: the benchmark's own load and watcher, which run beside
    the system on the same CPUs and are not counted as its."""
    return cpu_seconds({"self": os.getpid()})["self"]


def own_cpu_line(before: float, claims: int) -> str:
    """The benchmark's own CPU a claim since `before` (an `own_cpu_seconds()` reading), as the CPU lines
    give it beside the system's."""
    spent = (own_cpu_seconds() - before) * 1000 / max(claims, 1)
    return f"the benchmark's own load and watcher {spent:.2f} beside, not counted"


def cpu_per_claim(before: dict[str, float], after: dict[str, float], claims: int) -> str:
    """Each process's CPU between two readings divided by the claims decided meanwhile, and the sum."""
    if not claims:
        return "n/a"
    spent = {name: (after[name] - before[name]) * 1000 / claims for name in after if name in before}
    parts = ", ".join(f"{name} {value:.2f}" for name, value in spent.items())
    return f"{parts}; total {sum(spent.values()):.2f}"


def machine_ticks() -> tuple[int, int, int]:
    """The whole machine's CPU time so far, from /proc/stat: (busy, stolen, total) in ticks. Stolen time
    is what the host gave other guests while this machine wanted to run: where it is high, the
    figures of that run are the host's more than ours."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return user + nice + system + irq + softirq, steal, sum(fields)


def machine_share(before: tuple[int, int, int], after: tuple[int, int, int]) -> str:
    busy, stolen, total = (a - b for a, b in zip(after, before, strict=True))
    if total <= 0:
        return "machine n/a"
    return f"machine {100 * busy / total:.0f} % busy, {100 * stolen / total:.0f} % stolen by the host"


def machine() -> str:
    cpus = os.cpu_count()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{cpus} CPUs, load average {load}"
