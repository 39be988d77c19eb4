"""Bad input at scale: Hypothesis-generated bad messages on every topic the services consume, sent while
valid claims go in over Kafka at a fixed rate, with the same valid load alone before and after, so that
the run shows what the bad input cost the valid traffic. After the drain, every bad message must be on
its topic's dead-letter topic once for each consumer group that must refuse it (`refused_by`), with
its origin and error named; every valid claim decided and every valid rejection's e-mail seen sent
(its NotificationSent); no service restarted; every group caught up with every topic it reads (lag 0,
so no consumer stopped); the services' dead-letter counters equal to what was found.

    python -m bench.fuzz                             # 10,000 bad messages; 300 claims/s, 20 s a phase
    python -m bench.fuzz --bad 1000 --duration 5     # a quick run

The CI form is `tests/e2e/test_fuzz_topics.py` (the same strategies and checks, a few dozen messages).
One seed draws the same bytes from the same tree: Hypothesis also draws, now and then, the literals of
the project's own modules, so a change to any of them changes the draw; a seed and a commit name it."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bench.harness import log_in, on_a_system, proof_options, seed_of
from bench.load import Load, Run
from bench.stats import (
    cpu_per_claim,
    cpu_seconds,
    machine,
    machine_share,
    machine_ticks,
    ms,
    own_cpu_line,
    own_cpu_seconds,
    percentile,
)
from bench.watch import DecisionWatcher
from contracts.envelope import Envelope
from contracts.registry import all_models
from contracts.topics import dead_letter
from runtime.ops import behind, committed, high_watermarks, readers
from runtime.system import SERVICES, System

Readers = Mapping[str, Mapping[str, frozenset[str]]]
"""topic -> consumer group -> the event types that group handles (runtime.ops.readers)."""

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
HEADERS = ("dlt-original-topic", "dlt-original-partition", "dlt-original-offset", "dlt-exception-class")


def envelope(event_type: str, version: int, data: Any, ids: tuple[uuid.UUID, uuid.UUID]) -> bytes:
    return json.dumps(
        {
            "id": str(ids[0]),
            "type": event_type,
            "source": "fuzz",
            "subject": "fuzz",
            "schema_version": version,
            "correlation_id": str(ids[1]),
            "time": "2026-01-01T00:00:00Z",
            "data": data,
        }
    ).encode()


def bad_messages(handled: frozenset[str]) -> st.SearchStrategy[bytes]:
    """Garbage, JSON that is no envelope, envelopes of unknown types, handled types of an unknown schema
    version, and handled types with arbitrary data."""
    known = {event_type for event_type, _ in all_models()}
    versions = {t: max(v for k, v in all_models() if k == t) for t in handled}
    types = st.sampled_from(sorted(handled))
    ids = st.tuples(st.uuids(), st.uuids())  # drawn too: one seed, one tree, the same bytes
    return st.one_of(
        st.binary(max_size=2048),
        JSON.map(lambda v: json.dumps(v).encode()),
        st.builds(
            envelope, st.text(min_size=1, max_size=30).filter(lambda t: t not in known), st.just(1), JSON, ids
        ),
        types.flatmap(
            lambda t: st.builds(envelope, st.just(t), st.integers(versions[t] + 1, 10**6), JSON, ids)
        ),
        types.flatmap(
            lambda t: st.builds(
                envelope, st.just(t), st.just(versions[t]), st.dictionaries(st.text(max_size=8), JSON), ids
            )
        ),
    )


def refused_by(groups: Mapping[str, frozenset[str]], value: bytes) -> frozenset[str]:
    """Which of the groups reading a topic must dead-letter `value` (group -> the types it handles):
    all of them when it is no envelope (as the contract defines one) or one of a type that no contract
    defines; for an envelope of a known type, those that handle that type (the others skip it, as they
    skip any event of their streams that is not theirs)."""
    try:
        event_type = Envelope.model_validate_json(value).type
    except ValidationError:
        return frozenset(groups)
    if event_type not in {t for t, _version in all_models()}:
        return frozenset(groups)
    return frozenset(g for g, types in groups.items() if event_type in types)


@dataclass(frozen=True)
class Bad:
    topic: str
    key: bytes
    value: bytes
    groups: frozenset[str]
    """The consumer groups that must dead-letter it (`refused_by`)."""


def draw(topics: Readers, count: int, seed_value: int) -> list[Bad]:
    """`count` bad messages drawn by Hypothesis (generation only, no database), spread over `topics`."""
    names = sorted(t for t, groups in topics.items() if groups)
    drawn: list[Bad] = []

    @seed(seed_value)
    @settings(
        max_examples=count,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def one(data: st.DataObject) -> None:
        topic = data.draw(st.sampled_from(names))
        groups = topics[topic]
        value = data.draw(bad_messages(frozenset().union(*groups.values())))
        drawn.append(Bad(topic, f"fuzz-{uuid.uuid4()}".encode(), value, refused_by(groups, value)))

    one()
    return drawn


async def publish(bootstrap: str, messages: Sequence[Bad], seconds: float = 0.0) -> None:
    """Send `messages` spread evenly over `seconds` (at once when 0), with no headers, as any client
    of the broker could."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        started, futures = time.monotonic(), []
        for i, message in enumerate(messages):
            delay = started + i * seconds / max(len(messages), 1) - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            futures.append(await producer.send(message.topic, message.value, key=message.key))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


@dataclass
class Letters:
    """What the dead-letter topics hold of a set of bad messages."""

    expected: int = 0
    letters: int = 0  # records on the dead-letter topics that are these messages'
    found: int = 0
    missing: int = 0
    unexpected: int = 0  # dead-lettered by a group that should have skipped it
    repeated: int = 0  # the same message by the same group more than once
    malformed: int = 0  # without its origin (topic, partition, offset), error class or error message
    examples: dict[str, str] = field(default_factory=dict)  # what an error names first -> the first such

    @property
    def passed(self) -> bool:
        return not (self.missing or self.unexpected or self.repeated or self.malformed)


async def read_dead_letters(bootstrap: str, topics: set[str]) -> list[Any]:
    """Every record on the dead-letter topics of `topics` up to their current ends."""
    names = {dead_letter(t) for t in topics}
    marks = await high_watermarks(bootstrap, names)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=10)
    await consumer.start()
    records: list[Any] = []
    try:
        partitions = [tp for tp, mark in marks.items() if mark > 0]
        if not partitions:
            return records
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + 60
        while [tp for tp in partitions if await consumer.position(tp) < marks[tp]]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"dead-letter topics not read to their ends: {sorted(names)}")
            for batch in (await consumer.getmany(timeout_ms=200, max_records=5000)).values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


def check_letters(messages: Sequence[Bad], records: Sequence[Any]) -> Letters:
    by_key = {(m.topic, m.key): m for m in messages}
    seen: dict[tuple[str, bytes], Counter[str]] = defaultdict(Counter)
    letters = Letters(expected=sum(len(m.groups) for m in messages))
    for record in records:
        headers = {name: (value or b"").decode("utf-8", "replace") for name, value in record.headers}
        key = (headers.get("dlt-original-topic", ""), record.key)
        message = by_key.get(key)
        if message is None:
            continue  # another run's, or a dead letter of something else
        group = headers.get("dlt-consumer-group", "")
        seen[key][group] += 1
        letters.letters += 1
        if (
            any(not headers.get(name) for name in HEADERS)
            or not headers.get("dlt-exception-message")
            or record.value != message.value
        ):
            letters.malformed += 1
        elif group in message.groups:
            error = headers["dlt-exception-message"]
            named = error.split(":", 1)[0].split(".")[0]  # the field it names first (or the error's kind)
            letters.examples.setdefault(named, f"{key[0]} [{group}] {error[:100]}")
    for key, message in by_key.items():
        groups = seen.get(key, Counter())
        letters.found += sum(groups[g] > 0 for g in message.groups)
        letters.missing += len(message.groups - set(groups))
        letters.unexpected += sum(n for g, n in groups.items() if g not in message.groups)
        letters.repeated += sum(n - 1 for g, n in groups.items() if n > 1)
    return letters


async def dead_lettered(bootstrap: str, messages: Sequence[Bad]) -> Letters:
    """The dead letters of `messages`, read once every group has caught up (`caught_up`): a group
    commits a batch's offsets only once its dead letters are acknowledged, so none can come later."""
    return check_letters(messages, await read_dead_letters(bootstrap, {m.topic for m in messages}))


def dead_letter_count(system: System) -> int:
    """The services' own count of the messages they dead-lettered (fse_dead_lettered_total)."""
    total = 0.0
    for service in system.processes:
        text = httpx.get(f"{system.url(service)}/metrics", timeout=5).text
        for line in text.splitlines():
            if line.startswith("fse_dead_lettered_total "):
                total += float(line.split()[1])
    return int(total)


async def caught_up(system: System, topics: Readers, limit: float) -> dict[tuple[str, str], int | None]:
    """The lag of every (group, topic) that is not zero once `limit` seconds have passed (empty as
    soon as every group has committed everything on every topic it reads; None where unknown)."""
    pairs = {(group, topic) for topic, groups in topics.items() for group in groups}
    deadline = time.monotonic() + limit
    while True:
        marks = await high_watermarks(system.bootstrap_servers, {t for _g, t in pairs})
        lags = behind(await committed(system.bootstrap_servers, pairs), marks)
        lagging = {pair: lags.get(pair) for pair in pairs if lags.get(pair) != 0}  # absent: unknown
        if not lagging or time.monotonic() > deadline:
            return lagging
        await asyncio.sleep(1.0)


@dataclass(frozen=True)
class Stage:
    """One phase of valid claims: their figures, and what the processes spent meanwhile."""

    label: str
    run: Run
    cpu: str  # each process's CPU a valid claim, ms (bench.stats.cpu_per_claim)
    machine: str  # the benchmark's own CPU beside, and how busy the machine was

    def decision(self, p: float) -> float:
        return percentile(self.run.decisions, p)


@dataclass
class Verdict:
    bad: Counter[str]
    letters: Letters = field(default_factory=Letters)
    counted: int = 0  # the services' dead-letter counters over the run
    phases: list[Stage] = field(default_factory=list)
    restarted: list[str] = field(default_factory=list)
    unhealthy: list[str] = field(default_factory=list)
    lagging: dict[tuple[str, str], int | None] = field(default_factory=dict)

    @property
    def valid_decided(self) -> bool:
        """Every valid claim decided, and every valid rejection's e-mail seen sent (its NotificationSent),
        in every phase: the valid traffic went through to its last step."""
        return all(
            p.run.complete
            and p.run.claims == p.run.sent
            and p.run.notified_complete
            and len(p.run.notices) == p.run.rejected
            for p in self.phases
        )

    @property
    def passed(self) -> bool:
        return (
            self.letters.passed
            and self.counted == self.letters.letters
            and self.valid_decided
            and not (self.restarted or self.unhealthy or self.lagging)
        )

    def report(self) -> str:
        letters = self.letters
        by_topic = ", ".join(f"{t} {n}" for t, n in sorted(self.bad.items()))
        lines = [
            f"bad messages sent:                  {sum(self.bad.values())} ({by_topic})",
            f"dead letters expected, found:       {letters.expected}, {letters.found}"
            f" ({letters.letters} records; the services counted {self.counted})",
            f"missing, unexpected, repeated:      {letters.missing}, {letters.unexpected},"
            f" {letters.repeated}",
            f"without origin or error named:      {letters.malformed}",
        ]
        lines.append(f"errors named, by what they name first: {len(letters.examples)}, for example:")
        lines += [f"  {example}" for _named, example in sorted(letters.examples.items())[:12]]
        for phase in self.phases:
            run = phase.run
            lines.append(
                f"valid claims, {phase.label + ':':<21} {run.claims} of {run.sent} decided"
                f" at {run.offered_rate:.0f}/s offered, decision p50 {ms(phase.decision(50))}"
                f" p99 {ms(phase.decision(99))}; {len(run.notices)} of {run.rejected} rejections e-mailed"
            )
            lines.append(f"  CPU a valid claim, ms: {phase.cpu} ({phase.machine})")
        if len(self.phases) == 3:
            before, during, after = self.phases
            cost = ", ".join(
                f"p{p} {1000 * (during.decision(p) - (before.decision(p) + after.decision(p)) / 2):+.1f} ms"
                for p in (50, 99)
            )
            lines.append(f"what the bad input cost a decision, against the phases around it: {cost}")
        lagging = (
            ", ".join(f"{g} on {t}: {'?' if n is None else n}" for (g, t), n in sorted(self.lagging.items()))
            or "none"
        )
        lines += [
            f"services restarted, unhealthy:      {', '.join(self.restarted) or 'none'},"
            f" {', '.join(self.unhealthy) or 'none'}",
            f"groups behind after the drain:      {lagging}",
            f"verdict:                            {'PASS' if self.passed else 'FAIL'}",
        ]
        return "\n".join(lines)


async def bad_input_test(
    system: System, count: int, rate: float, duration: float, drain_seconds: float, seed_value: int
) -> Verdict:
    topics = readers(system.url(s) for s in system.processes)
    started = time.monotonic()
    messages = draw(topics, count, seed_value)
    print(f"{len(messages)} bad messages drawn in {time.monotonic() - started:.0f} s", flush=True)
    verdict = Verdict(Counter(m.topic for m in messages))
    token = await asyncio.to_thread(log_in, system)
    counted_before = await asyncio.to_thread(dead_letter_count, system)
    claims = int(rate * duration)
    services = {name: process.pid for name, process in system.processes.items()}
    pids = system.pids()

    async def phase(label: str, load_run: Awaitable[Run], beside: Awaitable[None] | None = None) -> Stage:
        before, ticks, mine = cpu_seconds(pids), machine_ticks(), own_cpu_seconds()
        alongside = asyncio.ensure_future(beside) if beside is not None else None
        run = await load_run
        if alongside is not None:
            await alongside
        cpu = cpu_per_claim(before, cpu_seconds(pids), run.claims)
        measuring = own_cpu_line(mine, run.claims)
        return Stage(label, run, cpu, f"{measuring}; {machine_share(ticks, machine_ticks())}")

    async with DecisionWatcher(system.bootstrap_servers) as watcher:
        load = Load(system, token, watcher, drain_seconds)
        await load.kafka(min(200, claims))  # warm-up: groups joined, connections open
        verdict.phases.append(await phase("alone, before", load.kafka(claims, rate)))
        during = publish(system.bootstrap_servers, messages, duration)
        verdict.phases.append(await phase("with the bad input", load.kafka(claims, rate), during))
        verdict.phases.append(await phase("alone, after", load.kafka(claims, rate)))
    verdict.lagging = await caught_up(system, topics, drain_seconds)
    verdict.letters = await dead_lettered(system.bootstrap_servers, messages)
    verdict.counted = await asyncio.to_thread(dead_letter_count, system) - counted_before
    verdict.restarted = [
        name
        for name, pid in services.items()
        if name not in system.processes
        or system.processes[name].pid != pid
        or system.processes[name].poll() is not None
    ]
    async with httpx.AsyncClient(timeout=5) as client:
        verdict.unhealthy = [
            s for s in SERVICES if (await client.get(f"{system.url(s)}/health")).status_code != 200
        ]
    return verdict


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--bad", type=int, default=10_000, help="bad messages, spread over every consumed topic"
    )
    parser.add_argument("--rate", type=float, default=300, help="valid claims per second offered")
    parser.add_argument("--duration", type=float, default=20, help="seconds of each phase")
    proof_options(parser, drain_seconds=120)
    args = parser.parse_args(argv)
    seed_value = seed_of(args)
    print(
        f"bad input {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}: {args.bad} bad messages,"
        f" valid claims at {args.rate:.0f}/s for {args.duration:.0f} s a phase, seed {seed_value}",
        flush=True,
    )
    verdict = on_a_system(
        args.data_dir,
        lambda system: bad_input_test(
            system, args.bad, args.rate, args.duration, args.drain_seconds, seed_value
        ),
        postgres=args.postgres,
    )
    print(verdict.report())
    raise SystemExit(0 if verdict.passed else 1)


if __name__ == "__main__":
    main()
