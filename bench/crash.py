"""Kill -9 under load: N claims go in over Kafka, spread evenly over a load of S seconds, while each
service is killed with SIGKILL at random moments within it and restarted; after the drain,
every claim must have exactly one final state, every rejection exactly one notice and its e-mails
(none twice beyond the crash window), no effect may have happened twice, and every kill must have
found claims in flight.

    python -m bench.crash                       # the long form: 100,000 claims, 3 kills per service
    python -m bench.crash --claims 10000        # the short form
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.harness import (
    claim,
    log_in,
    mailbox_ids,
    new_run,
    on_a_system,
    proof_options,
    rows,
    seed_of,
    submission,
)
from contracts import topics
from runtime.system import SERVICES, System
from services.notifications.settings import Settings as NotificationSettings

CONSUMERS = ("claims", "eligibility", "tariff", "notifications")
EFFECTS = (topics.CLAIMS, topics.ELIGIBILITY, topics.TARIFF)
MAIL_SETTINGS = {"NOTIFICATIONS_SMTP_TIMEOUT_SECONDS": "2", "NOTIFICATIONS_DELIVERY_LEASE_SECONDS": "12"}
"""The proof's notifications settings: the e-mails a killed instance had taken are taken again 12 s
later (the shortest lease a 2 s SMTP timeout allows) rather than after the default 120 s, made for a
relay that answers slowly; the embedded mailbox answers in milliseconds."""
SENDERS_SETTING = "NOTIFICATIONS_DELIVERY_SENDERS"


@dataclass(frozen=True)
class Kill:
    service: str
    second: float
    """When, in seconds from the first claim sent."""
    in_flight: int
    """Claims sent and not yet in a final state at that moment."""

    def __str__(self) -> str:
        return f"{self.service} at {self.second:.1f} s ({self.in_flight} in flight)"


@dataclass
class Progress:
    """How far a run's sending has gone: the kills read it to know what is in flight."""

    run: str
    started: float = field(default_factory=time.monotonic)
    sent: int = 0

    def elapsed(self) -> float:
        return time.monotonic() - self.started


@dataclass
class Verdict:
    claims: int
    final: int = 0
    lost: int = 0
    rejected: int = 0
    notices: int = 0
    missing_notices: int = 0
    emails: int = 0
    """The e-mails of this run's notices, one a delivery."""
    emails_unsent: int = 0
    """Not recorded as sent once the drain ended."""
    emails_missing: int = 0
    """Recorded as sent and not in the mailbox."""
    emails_twice: int = 0
    """Received more than once (the same Message-ID): the crash window of an e-mail accepted by the
    SMTP server and not yet recorded (docs/architecture.md), at most two a sender a kill."""
    senders: int = NotificationSettings.model_fields["delivery_senders"].default
    """E-mails the notifications service sends at once (`NOTIFICATIONS_DELIVERY_SENDERS`)."""
    duplicated_effects: Counter[str] = field(default_factory=Counter)
    kills: list[Kill] = field(default_factory=list)

    @property
    def emails_twice_allowed(self) -> int:
        """The crash window's bound: an e-mail being sent and one being recorded, a sender, a kill of
        notifications."""
        return 2 * self.senders * sum(1 for kill in self.kills if kill.service.startswith("notifications"))

    @property
    def idle_kills(self) -> list[Kill]:
        """Kills that found no claim in flight: they prove nothing about a crash amid the work."""
        return [kill for kill in self.kills if kill.in_flight <= 0]

    @property
    def passed(self) -> bool:
        return (
            self.lost == 0
            and self.missing_notices == 0
            and self.emails_unsent == self.emails_missing == 0
            and self.emails_twice <= self.emails_twice_allowed
            and not sum(self.duplicated_effects.values())
            and not self.idle_kills
        )

    def report(self) -> str:
        duplicates = ", ".join(f"{k}: {v}" for k, v in sorted(self.duplicated_effects.items())) or "none"
        return "\n".join(
            [
                f"claims sent:                      {self.claims}",
                f"kills (SIGKILL):                  {len(self.kills)}",
                *(f"  {kill}" for kill in self.kills),
                f"kills with no claim in flight:    {len(self.idle_kills)}",
                f"reached exactly one final state:  {self.final}",
                f"lost (no final state):            {self.lost}",
                f"rejections, notices, missing:     {self.rejected}, {self.notices}, {self.missing_notices}",
                f"e-mails, unsent, not received:    {self.emails}, {self.emails_unsent},"
                f" {self.emails_missing}",
                f"e-mails received twice:           {self.emails_twice}"
                f" (the crash window allows {self.emails_twice_allowed})",
                f"effects duplicated:               {duplicates}",
                f"verdict:                          {'PASS' if self.passed else 'FAIL'}",
            ]
        )


def final_states(system: System, run: str) -> dict[str, tuple[str, str]]:
    """submission id -> (reference, status) for this run's claims that reached a final state."""
    found = rows(
        system,
        "claims",
        "SELECT submission_id, reference, status FROM claims WHERE submission_id LIKE :run"
        " AND status IN ('accepted', 'rejected')",
        run=f"bench-{run}-%",
    )
    return {submission_id: (reference, status) for submission_id, reference, status in found}


def noticed(system: System) -> set[str]:
    """The references of the rejections the notifications service has a notice for."""
    found = rows(system, "notifications", "SELECT key FROM notices WHERE key LIKE :kind", kind="rejection:%")
    return {key.removeprefix("rejection:") for (key,) in found}


def kill_plan(kills_per_service: int, seconds: float, seed: int) -> list[tuple[float, str]]:
    """(second, service) for every kill, in time order: each service's load of `seconds` is cut
    into `kills_per_service` equal slots, and it is killed at a random moment in the first half of each,
    so that a restart (a group join: 12-20 s on the embedded broker) is usually over before its next
    slot and every kill falls while claims are still being sent."""
    chooser = random.Random(seed)
    slot = seconds / kills_per_service
    return sorted(
        (chooser.uniform(j * slot, (j + 0.5) * slot), service)
        for service in SERVICES
        for j in range(kills_per_service)
    )


async def chaos(system: System, plan: list[tuple[float, str]], progress: Progress) -> list[Kill]:
    """Each service's kills on a timeline of its own (two services may be down at once): SIGKILL at
    its planned second (at once if its last restart ended later), then a restart, until healthy."""
    kills: list[Kill] = []

    async def kill_service(service: str) -> None:
        for second in (at for at, name in plan if name == service):
            await asyncio.sleep(second - progress.elapsed())
            final = len(await asyncio.to_thread(final_states, system, progress.run))
            kills.append(Kill(service, progress.elapsed(), progress.sent - final))
            await asyncio.to_thread(system.stop_service, service, signal.SIGKILL)
            system.start_service(service)
            await asyncio.to_thread(system.wait_healthy, (service,), 120.0)

    async with asyncio.TaskGroup() as timelines:  # one that fails stops the others
        for service in SERVICES:
            timelines.create_task(kill_service(service))
    return sorted(kills, key=lambda kill: kill.second)


async def submit_claims(
    system: System, token: str, progress: Progress, count: int, seconds: float = 0.0, first: int = 0
) -> None:
    """Claims number `first` .. `first + count - 1` of the run, sent over Kafka evenly over `seconds`
    (as fast as possible when 0), counted in `progress` as they go."""
    producer = AIOKafkaProducer(bootstrap_servers=system.bootstrap_servers, acks="all", linger_ms=5)
    await producer.start()
    try:
        started, futures = time.monotonic(), []
        for i in range(count):
            delay = started + i * seconds / count - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            key, value = submission(token, claim(first + i, progress.run))
            futures.append(await producer.send(topics.CLAIM_SUBMISSIONS, value, key=key))
            progress.sent += 1
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def distinct_effects(bootstrap: str) -> dict[tuple[str, str], set[str]]:
    """(event type, subject) -> the distinct event ids seen on the effect topics. The same event id twice
    is a redelivery (absorbed by inboxes); two ids for one subject and type is an effect done twice."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=10)
    await consumer.start()
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    try:
        await consumer.topics()
        partitions = [
            TopicPartition(t, p) for t in EFFECTS for p in sorted(consumer.partitions_for_topic(t) or [])
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        idle = 0
        while idle < 20:
            batches = await consumer.getmany(timeout_ms=100, max_records=5000)
            idle = 0 if batches else idle + 1
            for records in batches.values():
                for record in records:
                    body = json.loads(record.value)
                    seen[(body["type"], body["subject"])].add(body["id"])
    finally:
        await consumer.stop()
    return seen


async def crash_test(
    system: System, count: int, kills_per_service: int, drain_seconds: float, seed: int, seconds: float
) -> Verdict:
    token = await asyncio.to_thread(log_in, system)
    progress = Progress(new_run())
    chaos_task = asyncio.create_task(chaos(system, kill_plan(kills_per_service, seconds, seed), progress))
    await submit_claims(system, token, progress, count, seconds)
    kills = await chaos_task
    verdict = await verify(system, progress.run, count, drain_seconds)
    verdict.kills = kills
    return verdict


async def verify(system: System, run: str, count: int, drain_seconds: float) -> Verdict:
    """Once the drain makes no more progress: final states, notices, e-mails, and effects done twice."""
    verdict = Verdict(count)
    if senders := system.environment("notifications").get(SENDERS_SETTING):
        verdict.senders = int(senders)
    last, progress = -1, time.monotonic()
    while time.monotonic() - progress < drain_seconds:
        states = await asyncio.to_thread(final_states, system, run)
        if len(states) == count:
            break
        if len(states) != last:
            last, progress = len(states), time.monotonic()
        await asyncio.sleep(1.0)
    states = await asyncio.to_thread(final_states, system, run)
    verdict.final = len(states)
    verdict.lost = count - len(states)
    rejected = {reference for reference, status in states.values() if status == "rejected"}
    verdict.rejected = len(rejected)
    deadline = time.monotonic() + drain_seconds
    while True:
        notices = await asyncio.to_thread(noticed, system) & rejected
        if len(notices) == len(rejected) or time.monotonic() > deadline:
            break
        await asyncio.sleep(1.0)
    verdict.notices, verdict.missing_notices = len(notices), len(rejected - notices)
    await count_emails(system, rejected, drain_seconds, verdict)
    references = {reference for reference, _ in states.values()}
    decisions: Counter[str] = Counter()
    for (kind, subject), ids in (await distinct_effects(system.bootstrap_servers)).items():
        if subject not in references:
            continue
        if len(ids) > 1:
            verdict.duplicated_effects[kind] += 1
        if kind in ("ClaimAccepted", "ClaimRejected"):
            decisions[subject] += 1
    verdict.duplicated_effects["two different decisions"] = sum(1 for n in decisions.values() if n > 1)
    return verdict


def deliveries(system: System, rejected: set[str]) -> dict[str, str]:
    """Message-ID -> status of every e-mail of the rejections `rejected` (references)."""
    found = rows(
        system,
        "notifications",
        "SELECT notice_key, message_id, status FROM deliveries WHERE notice_key LIKE :kind",
        kind="rejection:%",
    )
    return {
        message_id: status for key, message_id, status in found if key.removeprefix("rejection:") in rejected
    }


async def count_emails(system: System, rejected: set[str], drain_seconds: float, verdict: Verdict) -> None:
    """Once no e-mail of the run is pending, or none was sent for `drain_seconds`: the e-mails recorded,
    those not sent, and, in the mailbox, those missing and those received twice."""
    last, progress = -1, time.monotonic()
    while True:
        emails = await asyncio.to_thread(deliveries, system, rejected)
        pending = sum(1 for status in emails.values() if status == "pending")
        if not pending or time.monotonic() - progress > drain_seconds:
            break
        if pending != last:
            last, progress = pending, time.monotonic()
        await asyncio.sleep(1.0)
    received = Counter(await asyncio.to_thread(mailbox_ids, system.data_dir / "mail"))
    sent = {message_id for message_id, status in emails.items() if status == "sent"}
    verdict.emails, verdict.emails_unsent = len(emails), len(emails) - len(sent)
    verdict.emails_missing = sum(1 for message_id in sent if not received[message_id])
    verdict.emails_twice = sum(1 for message_id in sent if received[message_id] > 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.crash", description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs per service")
    parser.add_argument(
        "--seconds",
        type=float,
        default=90.0,
        help="the claims are sent evenly over this load, and every kill falls within it",
    )
    proof_options(parser, drain_seconds=120)
    args = parser.parse_args(argv)
    if args.kills < 1 or args.seconds <= 0:
        parser.error("--kills must be at least 1 and --seconds above 0: the proof is of kills amid a load")
    seed = seed_of(args)
    print(
        f"crash test: {args.claims} claims over {args.seconds:.0f} s, {args.kills} kills per service,"
        f" seed {seed}",
        flush=True,
    )
    verdict = on_a_system(
        args.data_dir,
        lambda system: crash_test(system, args.claims, args.kills, args.drain_seconds, seed, args.seconds),
        env=MAIL_SETTINGS,
        postgres=args.postgres,
    )
    print(verdict.report())
    raise SystemExit(0 if verdict.passed else 1)


if __name__ == "__main__":
    main()
