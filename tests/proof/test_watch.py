"""What the benchmarks' decision watcher makes of the records it reads: a claim's decision and its
rejection's e-mail, whichever order one fetch hands the topics over in."""

from __future__ import annotations

import json

from aiokafka.structs import ConsumerRecord

from bench.watch import DecisionWatcher

REFERENCE = "FSE-20261207-ABCDEFGHJK"
TIME = "2026-12-07T08:00:00+00:00"


def record(topic: str, kind: str, key: str, data: dict[str, object]) -> ConsumerRecord[bytes, bytes]:
    value = json.dumps(
        {"type": kind, "time": TIME, "subject": key, "data": data}, separators=(",", ":")
    ).encode()
    headers = [("ce_type", kind.encode())]
    return ConsumerRecord(topic, 0, 0, 0, 0, key.encode(), value, None, len(key), len(value), headers)


RECEIVED = record("fse.claims", "ClaimReceived", REFERENCE, {"claim": {"submission_id": "s-1"}})
REJECTED = record("fse.claims", "ClaimRejected", REFERENCE, {})
SENT = record("fse.notifications", "NotificationSent", f"rejection:{REFERENCE}", {})


def test_a_rejection_and_its_email_in_the_order_they_happened() -> None:
    watcher = DecisionWatcher("127.0.0.1:9")
    for at, seen in enumerate((RECEIVED, REJECTED, SENT)):
        watcher.see(seen, float(at))
    assert (watcher.decided, watcher.rejected, watcher.notified) == ({"s-1": 1.0}, {"s-1"}, {"s-1": 2.0})


def test_an_email_seen_before_its_claim_in_one_fetch_still_counts() -> None:
    """One fetch brings both topics; the e-mail's partition may be handed over first."""
    watcher = DecisionWatcher("127.0.0.1:9")
    for seen in (SENT, RECEIVED, REJECTED):
        watcher.see(seen, 5.0)
    assert (watcher.decided, watcher.notified) == ({"s-1": 5.0}, {"s-1": 5.0})


def test_an_email_of_a_claim_never_seen_counts_for_nothing() -> None:
    watcher = DecisionWatcher("127.0.0.1:9")
    watcher.see(SENT, 1.0)
    watcher.see(record("fse.claims", "ClaimReceived", "FSE-OTHER", {"claim": {"submission_id": "s-2"}}), 2.0)
    assert watcher.notified == {}


def test_a_record_that_only_claims_to_be_a_receipt_is_skipped_and_the_watcher_reads_on() -> None:
    watcher = DecisionWatcher("127.0.0.1:9")
    fake = record("fse.claims", "ClaimReceived", REFERENCE, {"claim": "no submission"})
    garbage = ConsumerRecord("fse.claims", 0, 0, 0, 0, b"k", b'{"time":"' + TIME.encode() + b'"', None, 1, 1,
                             [("ce_type", b"ClaimReceived")])  # fmt: skip
    for seen in (fake, garbage, RECEIVED, REJECTED):
        watcher.see(seen, 3.0)
    assert watcher.decided == {"s-1": 3.0}
