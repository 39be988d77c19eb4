"""The raw broker baseline: 1 KB messages through 4 hops with aiokafka and no logic. Three relay
processes each consume a topic in batches (a consumer group, offsets committed after each batch) and
produce to the next; the benchmark process produces to the first topic and consumes the last."""

from __future__ import annotations

import asyncio
import multiprocessing
import struct
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from runtime import heap, loop
from runtime.broker import ensure_topics

HOPS = 4
SIZE = 1024
FETCH_WAIT_MS = 10


def producer(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=False,
        linger_ms=2,
        max_batch_size=256 * 1024,
    )


def consumer(bootstrap: str, topic: str, group: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=FETCH_WAIT_MS,
        max_poll_records=500,
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
    )


async def _relay(bootstrap: str, source: str, target: str, ready: Event) -> None:
    inbound, outbound = consumer(bootstrap, source, f"raw-{source}"), producer(bootstrap)
    await inbound.start()
    await outbound.start()
    heap.freeze()  # as every service does once started (runtime.heap)
    try:
        while True:
            batches = await inbound.getmany(timeout_ms=FETCH_WAIT_MS)
            if inbound.assignment():
                ready.set()
            sent = [
                await outbound.send(target, record.value, key=record.key)
                for records in batches.values()
                for record in records
            ]
            if sent:
                await asyncio.gather(*sent)
                await inbound.commit()
    finally:
        await inbound.stop()
        await outbound.stop()


def relay_process(bootstrap: str, source: str, target: str, ready: Event) -> None:
    loop.run(_relay(bootstrap, source, target, ready))


@dataclass
class RawResult:
    messages: int
    seconds: float
    delays: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


class RawBroker:
    """Four hops of topics with their relay processes, reused by every raw measurement of a run."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        run = uuid.uuid4().hex[:8]
        self.topics = [f"bench.raw.{run}.{hop}" for hop in range(HOPS)]
        self._processes: list[multiprocessing.process.BaseProcess] = []
        self._sink: AIOKafkaConsumer | None = None
        self._source: AIOKafkaProducer | None = None

    async def __aenter__(self) -> RawBroker:
        await ensure_topics(self.bootstrap, self.topics)
        context = multiprocessing.get_context("spawn")
        events = []
        for source, target in zip(self.topics, self.topics[1:], strict=False):
            ready = context.Event()
            process = context.Process(
                target=relay_process, args=(self.bootstrap, source, target, ready), daemon=True
            )
            process.start()
            self._processes.append(process)
            events.append(ready)
        self._sink = consumer(self.bootstrap, self.topics[-1], f"raw-sink-{self.topics[-1]}")
        self._source = producer(self.bootstrap)
        await self._sink.start()
        await self._source.start()
        deadline = time.monotonic() + 600  # a loaded machine joins groups slowly
        while not (all(e.is_set() for e in events) and self._sink.assignment()):
            if time.monotonic() > deadline:
                raise TimeoutError("raw relays did not join their groups")
            await self._sink.getmany(timeout_ms=100)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for process in self._processes:
            process.kill()
            process.join(5)
        if self._sink:
            await self._sink.stop()
        if self._source:
            await self._source.stop()

    async def run(self, count: int, rate: float | None = None) -> RawResult:
        """Send `count` messages (as fast as possible, or paced at `rate` per second) and wait for all of
        them at the last hop; the elapsed time runs from the first send to the last arrival."""
        assert self._source
        started = time.time()
        sink = asyncio.create_task(self._drain(count))
        padding = b"x" * (SIZE - 12)
        futures = []
        for i in range(count):
            if rate:
                delay = started + i / rate - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            body = struct.pack(">dI", time.time(), i) + padding
            futures.append(await self._source.send(self.topics[0], body, key=str(i).encode()))
        await asyncio.gather(*futures)
        last, delays = await asyncio.wait_for(sink, timeout=max(120.0, count / 500))
        return RawResult(count, last - started, delays)

    async def _drain(self, count: int) -> tuple[float, list[float]]:
        """Consume `count` messages at the last hop: the last arrival time and each message's delay."""
        assert self._sink
        delays: list[float] = []
        last = time.time()
        while len(delays) < count:
            batches = await self._sink.getmany(timeout_ms=FETCH_WAIT_MS)
            last = time.time()
            for records in batches.values():
                delays.extend(last - struct.unpack(">d", r.value[:8])[0] for r in records)
            if batches:
                await self._sink.commit()
        return last, delays
