"""The benchmark's verdict on its targets (bench.targets), from the figures of one run."""

from __future__ import annotations

from bench.load import Run
from bench.raw import RawResult
from bench.targets import Verdict, judge, table


def run(
    intake: str, rate: float, notified: float, decisions_ms: float = 100.0, receipts_ms: float = 5.0
) -> Run:
    """A run of 1,000 claims at `rate` claims/s (and `notified` through to the e-mails) whose slowest
    2 % of decisions and receipts took the given milliseconds (so their p99), the others 1 ms."""
    result = Run(intake, 1000, seconds=1000 / rate, notified_seconds=1000 / notified)
    result.decisions = [0.001] * 980 + [decisions_ms / 1000] * 20
    result.receipts = [0.001] * 980 + [receipts_ms / 1000] * 20 if intake == "http" else []
    return result


def marks(verdicts: list[Verdict]) -> list[tuple[str, str]]:
    return [(v.target, v.mark) for v in verdicts]


def test_every_target_is_judged_on_its_own_run() -> None:
    raw = RawResult(messages=10_000, seconds=2.0)  # 5,000 msg/s
    throughput = [run("kafka", 2600, 2500), run("http", 1500, 1400)]
    paced = {
        300.0: [
            run("kafka", 300, 300, decisions_ms=120),
            run("http", 300, 300, decisions_ms=180, receipts_ms=25),
        ],
        1500.0: [run("kafka", 1500, 1500, decisions_ms=450), run("http", 1400, 1400, decisions_ms=900)],
    }
    verdicts = judge(raw, throughput, paced)
    assert marks(verdicts) == [
        ("pipeline >= 2,000 claims/s", "met"),
        ("pipeline >= 0.5 x raw 4 hops", "met"),
        ("receipt p99 <= 20 ms at 300/s", "not met"),
        ("decision p99 <= 150 ms at 300/s", "met"),
        ("decision p99 <= 150 ms at 300/s", "not met"),
        ("decision p99 <= 500 ms at 1,500/s", "met"),
        ("decision p99 <= 500 ms at 1,500/s", "not met"),
    ]
    measured = [v.measured for v in verdicts]
    assert measured[0] == "2600 to the decision, 2500 to the e-mails (over kafka)"
    assert measured[1] == "0.50 (2500 / 5000 msg/s)"
    assert measured[2] == "25.0 ms over http (300 claims/s achieved)"
    assert measured[4] == "180.0 ms over http (300 claims/s achieved)"


def test_the_throughput_counts_through_to_the_e_mails() -> None:
    raw = RawResult(messages=10_000, seconds=2.0)
    verdicts = judge(raw, [run("kafka", 2600, 1900)], {})
    assert marks(verdicts)[:2] == [
        ("pipeline >= 2,000 claims/s", "not met"),
        ("pipeline >= 0.5 x raw 4 hops", "not met"),  # 1,900 / 5,000
    ]


def test_a_run_that_did_not_finish_meets_nothing() -> None:
    lost = run("kafka", 3000, 3000, decisions_ms=10)
    lost.complete = False
    errors = run("http", 300, 300, decisions_ms=10, receipts_ms=1)
    errors.errors = 3
    verdicts = judge(RawResult(messages=1000, seconds=1.0), [lost], {300.0: [errors]})
    assert [v.mark for v in verdicts[:4]] == ["not met"] * 4
    assert verdicts[0].measured.endswith(", incomplete")
    assert verdicts[2].measured.endswith(", incomplete")


def test_a_target_without_its_run_is_not_measured() -> None:
    verdicts = judge(None, [run("kafka", 2600, 2500)], {100.0: [run("kafka", 100, 100)]})
    assert marks(verdicts) == [
        ("pipeline >= 2,000 claims/s", "met"),
        ("pipeline >= 0.5 x raw 4 hops", "not measured"),
        ("receipt p99 <= 20 ms at 300/s", "not measured"),
        ("decision p99 <= 150 ms at 300/s", "not measured"),
        ("decision p99 <= 500 ms at 1,500/s", "not measured"),
    ]
    assert verdicts[2].measured == "no run at 300/s over http"
    assert judge(None, [], {})[0] == Verdict("pipeline >= 2,000 claims/s", "no throughput run", None)


def test_the_table_lines_up_the_targets() -> None:
    lines = table([Verdict("short", "1", True), Verdict("a longer target", "2", None)])
    assert lines == ["  short            met           1", "  a longer target  not measured  2"]
