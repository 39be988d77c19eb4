"""Kill -9 under load: N claims go in over Kafka while each consuming service is killed with SIGKILL at
random moments and restarted; after the drain, every claim must have exactly one final state, every
rejection exactly one notice, and no effect may have happened twice.

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
    new_run,
    on_a_system,
    proof_options,
    read_only,
    seed_of,
    submission,
)
from contracts import topics
from runtime.system import System

CONSUMERS = ("claims", "eligibility", "tariff", "notifications")
EFFECTS = (topics.CLAIMS, topics.ELIGIBILITY, topics.TARIFF)


@dataclass
class Verdict:
    claims: int
    final: int = 0
    lost: int = 0
    rejected: int = 0
    notices: int = 0
    missing_notices: int = 0
    duplicated_effects: Counter[str] = field(default_factory=Counter)
    kills: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.lost == 0 and self.missing_notices == 0 and not sum(self.duplicated_effects.values())

    def report(self) -> str:
        duplicates = ", ".join(f"{k}: {v}" for k, v in sorted(self.duplicated_effects.items())) or "none"
        return "\n".join(
            [
                f"claims sent:                      {self.claims}",
                f"kills (SIGKILL, then restart):    {len(self.kills)} ({', '.join(self.kills)})",
                f"reached exactly one final state:  {self.final}",
                f"lost (no final state):            {self.lost}",
                f"rejections, notices, missing:     {self.rejected}, {self.notices}, {self.missing_notices}",
                f"effects duplicated:               {duplicates}",
                f"verdict:                          {'PASS' if self.passed else 'FAIL'}",
            ]
        )


def final_states(system: System, run: str) -> dict[str, tuple[str, str]]:
    """submission id -> (reference, status) for this run's claims that reached a final state."""
    with read_only(system.data_dir, "claims") as db:
        rows = db.execute(
            "SELECT submission_id, reference, status FROM claims WHERE submission_id LIKE ?"
            " AND status IN ('accepted', 'rejected')",
            (f"bench-{run}-%",),
        ).fetchall()
    return {submission_id: (reference, status) for submission_id, reference, status in rows}


async def chaos(
    system: System, kills_per_service: int, stop: asyncio.Event, done: list[str], seed: int
) -> None:
    """Kill each consuming service `kills_per_service` times, at random moments, until `stop` is set."""
    chooser = random.Random(seed)
    schedule = [s for s in CONSUMERS for _ in range(kills_per_service)]
    chooser.shuffle(schedule)
    for service in schedule:
        try:
            await asyncio.wait_for(stop.wait(), chooser.uniform(0.5, 4.0))
            return
        except TimeoutError:
            pass
        await asyncio.to_thread(system.stop_service, service, signal.SIGKILL)
        system.start_service(service)
        await asyncio.to_thread(system.wait_healthy, (service,), 120.0)
        done.append(service)


async def submit_claims(system: System, token: str, run: str, count: int, first: int = 0) -> None:
    """Claims number `first` .. `first + count - 1` of `run`, sent over Kafka in spread-out bursts."""
    producer = AIOKafkaProducer(bootstrap_servers=system.bootstrap_servers, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = []
        for i in range(count):
            key, value = submission(token, claim(first + i, run))
            futures.append(await producer.send(topics.CLAIM_SUBMISSIONS, value, key=key))
            if i % 1000 == 999:
                await asyncio.gather(*futures)
                futures.clear()
                await asyncio.sleep(0.2)  # spread the load over the chaos
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
    system: System, count: int, kills_per_service: int, drain_seconds: float, seed: int
) -> Verdict:
    token = await asyncio.to_thread(log_in, system)
    run = new_run()
    kills: list[str] = []
    stop = asyncio.Event()
    chaos_task = asyncio.create_task(chaos(system, kills_per_service, stop, kills, seed))
    await submit_claims(system, token, run, count)
    await chaos_task  # every kill happens while claims are in flight
    verdict = await verify(system, run, count, drain_seconds)
    verdict.kills = kills
    return verdict


async def verify(system: System, run: str, count: int, drain_seconds: float) -> Verdict:
    """Once the drain makes no more progress: final states, notices, and effects done twice."""
    verdict = Verdict(count)
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
        with read_only(system.data_dir, "notifications") as db:
            keys = {k for (k,) in db.execute("SELECT key FROM notices WHERE key LIKE 'rejection:%'")}
        noticed = {k.removeprefix("rejection:") for k in keys} & rejected
        if len(noticed) == len(rejected) or time.monotonic() > deadline:
            break
        await asyncio.sleep(1.0)
    verdict.notices, verdict.missing_notices = len(noticed), len(rejected - noticed)
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.crash", description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs per consuming service")
    proof_options(parser, drain_seconds=120)
    args = parser.parse_args(argv)
    seed = seed_of(args)
    print(f"crash test: {args.claims} claims, {args.kills} kills per service, seed {seed}", flush=True)
    verdict = on_a_system(
        args.data_dir, lambda system: crash_test(system, args.claims, args.kills, args.drain_seconds, seed)
    )
    print(verdict.report())
    raise SystemExit(0 if verdict.passed else 1)


if __name__ == "__main__":
    main()
