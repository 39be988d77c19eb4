"""The targets `python -m bench` is held to, judged on the figures of the run that printed them: each
with what was measured and whether it is met. A target whose run was not part of the invocation (another
offered rate, one intake only, the raw broker skipped) is "not measured", never met.

The targets: the pipeline at 2,000 claims/s or more and at half the raw broker's 4 hops or more, both
through to the rejections' e-mails; at 300 claims/s offered a receipt p99 of 20 ms or less and a decision
p99 of 150 ms or less; at 1,500 claims/s offered a decision p99 of 500 ms or less. A run that lost claims
or met errors meets nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bench.load import Run
from bench.raw import RawResult
from bench.stats import ms, percentile

THROUGHPUT = 2000.0
RAW_SHARE = 0.5
RECEIPT_P99 = (300.0, 0.020)
DECISION_P99 = ((300.0, 0.150), (1500.0, 0.500))
"""(offered claims/s, seconds)."""


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    met: bool | None
    """None: not measured in this run."""

    @property
    def mark(self) -> str:
        return {True: "met", False: "not met", None: "not measured"}[self.met]


def _whole(run: Run) -> bool:
    return run.complete and run.notified_complete and not run.errors


def _slowest(run: Run) -> float:
    """Claims a second through to the e-mails or to the decisions, whichever is lower."""
    return min(run.rate, run.notified_rate)


def _rates(run: Run) -> str:
    text = f"{run.rate:.0f} to the decision, {run.notified_rate:.0f} to the e-mails (over {run.intake})"
    return text if _whole(run) else text + ", incomplete"


def _p99(figure: str, rate: float, limit: float, runs: Sequence[Run]) -> list[Verdict]:
    """One verdict for each run at `rate` (one an intake) on the p99 of its `figure`: "receipt" or
    "decision"."""
    target = f"{figure} p99 <= {limit * 1000:.0f} ms at {rate:,.0f}/s"
    verdicts = []
    for run in runs:
        p99 = percentile(run.receipts if figure == "receipt" else run.decisions, 99)
        measured = f"{ms(p99)} over {run.intake} ({run.rate:.0f} claims/s achieved)"
        if not _whole(run):
            verdicts.append(Verdict(target, measured + ", incomplete", False))
        else:
            verdicts.append(Verdict(target, measured, p99 <= limit))
    if not verdicts:
        over = " over http" if figure == "receipt" else ""  # a receipt is the HTTP answer
        verdicts.append(Verdict(target, f"no run at {rate:,.0f}/s{over}", None))
    return verdicts


def judge(
    raw: RawResult | None, throughput: Sequence[Run], paced: Mapping[float, Sequence[Run]]
) -> list[Verdict]:
    """The verdicts on one invocation's runs: `throughput` as fast as possible (one an intake), `paced`
    by offered claims/s."""
    verdicts: list[Verdict] = []
    best = max(throughput, key=_slowest, default=None)
    name = f"pipeline >= {THROUGHPUT:,.0f} claims/s"
    if best is None:
        verdicts.append(Verdict(name, "no throughput run", None))
    else:
        verdicts.append(Verdict(name, _rates(best), _whole(best) and _slowest(best) >= THROUGHPUT))
    name = f"pipeline >= {RAW_SHARE} x raw 4 hops"
    if best is None or raw is None or not raw.rate:
        verdicts.append(Verdict(name, "no raw broker run" if best else "no throughput run", None))
    else:
        share = _slowest(best) / raw.rate
        measured = f"{share:.2f} ({_slowest(best):.0f} / {raw.rate:.0f} msg/s)"
        verdicts.append(Verdict(name, measured, _whole(best) and share >= RAW_SHARE))
    rate, limit = RECEIPT_P99
    verdicts += _p99("receipt", rate, limit, [run for run in paced.get(rate, ()) if run.intake == "http"])
    for rate, limit in DECISION_P99:
        verdicts += _p99("decision", rate, limit, paced.get(rate, ()))
    return verdicts


def table(verdicts: Sequence[Verdict]) -> list[str]:
    width = max(len(v.target) for v in verdicts)
    return [f"  {v.target:<{width}}  {v.mark:<12}  {v.measured}" for v in verdicts]
