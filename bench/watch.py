"""Watches the claims' topics without joining a group: when each submission was received (ClaimReceived),
decided (ClaimAccepted / ClaimRejected) and, if rejected, notified (the NotificationSent of its
rejection notice: the SMTP server accepted the e-mail), as seen by a client of the broker, and when
each event of the claim's path was emitted and published (bench.hops)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.hops import Seen
from contracts import topics

DECISIONS = {"ClaimAccepted", "ClaimRejected"}
NOTIFIED = "NotificationSent"
REJECTION_NOTICE = "rejection:"
"""The key of a rejection's notice, before the claim's reference (services.notifications)."""
WATCHED = (topics.CLAIMS, topics.ELIGIBILITY, topics.TARIFF, topics.NOTIFICATIONS)


def emitted_at(value: bytes) -> float | None:
    """The envelope's `time`, found without parsing the whole body: the watcher shares the machine with
    the system it measures, and an envelope's attributes come before its data."""
    start = value.find(b'"time":"')
    end = value.find(b'"', start + 8)
    if start < 0 or end < 0:
        return None
    try:
        return datetime.fromisoformat(value[start + 8 : end].decode()).timestamp()
    except ValueError:
        return None


class DecisionWatcher:
    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap
        self._task: asyncio.Task[None] | None = None
        self.submission_of: dict[str, str] = {}  # reference -> submission id
        self.decided: dict[str, float] = {}  # submission id -> time the decision was seen
        self.decisions: dict[str, int] = {}  # submission id -> decisions seen (1 expected)
        self.rejected: set[str] = set()  # submission ids whose decision was a rejection
        self.notified: dict[str, float] = {}  # submission id -> time its rejection's e-mail was seen sent
        self.events: dict[str, dict[str, Seen]] = {}  # reference -> event type -> (emitted, published)
        self._notified_early: dict[str, float] = {}  # reference -> when its e-mail was seen, claim unseen

    async def __aenter__(self) -> DecisionWatcher:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            enable_auto_commit=False,
            fetch_max_wait_ms=10,
            max_poll_records=2000,
        )
        await self._consumer.start()
        await self._consumer.topics()
        partitions = [
            TopicPartition(topic, p)
            for topic in WATCHED
            for p in sorted(self._consumer.partitions_for_topic(topic) or [])
        ]
        self._consumer.assign(partitions)
        # From the beginning: the embedded broker's "latest" offset is unreliable; earlier claims' events
        # are ignored because their ClaimReceived names no submission of this run.
        await self._consumer.seek_to_beginning(*partitions)
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=10)
            now = time.time()
            for records in batches.values():
                for record in records:
                    self.see(record, now)

    def see(self, record: Any, now: float) -> None:
        """One record of the watched topics, seen at `now`."""
        kind = dict(record.headers).get("ce_type", b"").decode()
        reference = (record.key or b"").decode()
        if kind == NOTIFIED:
            self._notified(reference.removeprefix(REJECTION_NOTICE), now)
            return
        emitted = emitted_at(record.value or b"")
        if emitted is None:
            return  # not an event of ours
        # The first copy counts: a duplicate (redelivery) leaves the timeline as it was.
        self.events.setdefault(reference, {}).setdefault(kind, (emitted, record.timestamp / 1000))
        if kind == "ClaimReceived":
            try:
                submission = json.loads(record.value or b"")["data"]["claim"]["submission_id"]
            except (ValueError, KeyError, TypeError):
                return  # a record that only claims to be one (bad input): the watcher reads on
            self.submission_of[reference] = submission
            if reference in self._notified_early:
                self.notified.setdefault(submission, self._notified_early.pop(reference))
        elif kind in DECISIONS and reference in self.submission_of:
            submission = self.submission_of[reference]
            self.decided.setdefault(submission, now)
            self.decisions[submission] = self.decisions.get(submission, 0) + 1
            if kind == "ClaimRejected":
                self.rejected.add(submission)

    def _notified(self, reference: str, now: float) -> None:
        """The first NotificationSent of a rejection counts (a notice has one e-mail here). One fetch
        may bring a claim's ClaimReceived and its e-mail's NotificationSent together, from two topics in
        no set order: an e-mail seen before its claim is kept until the claim is."""
        if reference in self.submission_of:
            self.notified.setdefault(self.submission_of[reference], now)
        else:
            self._notified_early.setdefault(reference, now)

    def timelines(self, sent: dict[str, float]) -> list[tuple[float, dict[str, Seen], float | None]]:
        """For each submission sent: when, the events of its claim, when its decision was seen."""
        reference_of = {submission: reference for reference, submission in self.submission_of.items()}
        return [
            (at, self.events.get(reference_of.get(submission, ""), {}), self.decided.get(submission))
            for submission, at in sent.items()
        ]

    async def wait_for(
        self, submissions: set[str], stall_seconds: float, seen: dict[str, float] | None = None
    ) -> bool:
        """True once every submission is in `seen` (default: decided); False if `stall_seconds` pass
        without progress."""
        seen = self.decided if seen is None else seen
        remaining, progress = set(submissions), time.monotonic()
        while remaining:
            left = {s for s in remaining if s not in seen}
            if len(left) < len(remaining):
                progress = time.monotonic()
            elif time.monotonic() - progress > stall_seconds:
                return False
            remaining = left
            if remaining:
                await asyncio.sleep(0.2)
        return True
