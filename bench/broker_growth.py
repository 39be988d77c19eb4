"""What the embedded broker's requests cost as a partition fills up (a script, not a test):

    python -m bench.broker_growth [--steps 4] [--batches 2000] [--rounds 300]

The embedded broker (Tansu, memory storage) keeps every record batch it has received: it applies no
retention and refuses DeleteRecords. A service's relay sends small batches at moderate rates, so a
partition holds more and more of them. At each step this adds `--batches` one-record batches to one
partition, then measures the broker's CPU time (from /proc) for `--rounds` of two requests, a produce of
one record and the fetch that returns it, and for two seconds of a consumer at rest at the end of the
partition (a fetch every 10 ms that finds nothing). A second partition, which gains only the records of
its own rounds, is measured alongside: what one partition holds does not slow another's requests."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.stats import cpu_seconds, machine
from runtime import loop
from runtime.tansu import EmbeddedBroker

VALUE = b"x" * 1000
GROWING, SMALL = TopicPartition("growth.filled", 0), TopicPartition("growth.small", 0)


@dataclass(frozen=True)
class Costs:
    """Broker CPU time a request, in milliseconds, on a partition holding `batches` record batches, and
    its share of a core (%) while a consumer waits at the partition's end."""

    batches: int
    produce: float
    fetch: float
    at_rest: float


class Meter:
    def __init__(self, pid: int) -> None:
        self._pid = {"broker": pid}

    def now(self) -> float:
        return cpu_seconds(self._pid)["broker"]


@contextlib.asynccontextmanager
async def connected(bootstrap: str) -> AsyncIterator[tuple[AIOKafkaProducer, AIOKafkaConsumer]]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=10)
    await producer.start()
    await consumer.start()
    try:
        consumer.assign([GROWING, SMALL])
        yield producer, consumer
    finally:
        await consumer.stop()
        await producer.stop()


async def fill(bootstrap: str, batches: int) -> None:
    """`batches` records, each in a batch of its own (a batch no larger than one record)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, max_batch_size=len(VALUE) + 100)
    await producer.start()
    try:
        sent = [await producer.send(GROWING.topic, VALUE) for _ in range(batches)]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def costs(
    clients: tuple[AIOKafkaProducer, AIOKafkaConsumer],
    partition: TopicPartition,
    rounds: int,
    rest_seconds: float,
    meter: Meter,
) -> Costs:
    producer, consumer = clients
    end = (await consumer.end_offsets([partition]))[partition]
    consumer.seek(partition, end)
    produce = fetch = 0.0
    for _ in range(rounds):
        before = meter.now()
        await producer.send_and_wait(partition.topic, VALUE)
        between, deadline = meter.now(), time.monotonic() + 30
        while not (await consumer.getmany(partition, timeout_ms=1000)).get(partition):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{partition.topic}: the record produced was not fetched within 30 s")
        produce, fetch = produce + between - before, fetch + meter.now() - between
    before, started = meter.now(), time.monotonic()
    while time.monotonic() - started < rest_seconds:
        if (await consumer.getmany(partition, timeout_ms=100)).get(partition):
            raise RuntimeError(f"{partition.topic} received a record nobody sent")
    at_rest = (meter.now() - before) / (time.monotonic() - started)
    held = (await consumer.end_offsets([partition]))[partition]
    if held != end + rounds:
        raise RuntimeError(f"{partition.topic} holds {held} records, {end + rounds} expected")
    return Costs(held, produce / rounds * 1000, fetch / rounds * 1000, at_rest * 100)


async def measure(
    steps: int, batches: int, rounds: int, rest_seconds: float = 2.0
) -> list[tuple[Costs, Costs]]:
    """For each step (the first on empty partitions): the costs on the growing and the small partition."""
    broker = EmbeddedBroker().start()
    try:
        assert broker.process is not None
        meter = Meter(broker.process.pid)
        admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(p.topic, 1, 1) for p in (GROWING, SMALL)])
        finally:
            await admin.close()
        rows = []
        async with connected(broker.bootstrap_servers) as both:
            for step in range(steps + 1):
                if step:
                    await fill(broker.bootstrap_servers, batches)
                growing = await costs(both, GROWING, rounds, rest_seconds, meter)
                rows.append((growing, await costs(both, SMALL, rounds, rest_seconds, meter)))
        return rows
    finally:
        broker.stop()


def report(rows: list[tuple[Costs, Costs]]) -> None:
    print("batches held | broker CPU: produce, ms / fetch of it, ms / a consumer at rest, % of a core")
    for growing, small in rows:
        print(f"{_row(growing)}   (the small partition, {_row(small)})")


def _row(costs: Costs) -> str:
    return f"{costs.batches:>7,} | {costs.produce:.3f} / {costs.fetch:.3f} / {costs.at_rest:.1f}"


async def main(steps: int, batches: int, rounds: int) -> None:
    print(f"embedded broker, one partition filled by {batches} one-record batches a step; {machine()}")
    report(await measure(steps, batches, rounds))
    print(f"done, {machine()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batches", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=300)
    arguments = parser.parse_args()
    loop.run(main(arguments.steps, arguments.batches, arguments.rounds))
