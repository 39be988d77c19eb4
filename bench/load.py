"""Load on the whole pipeline: as fast as possible (throughput) or open-loop at a fixed offered rate
(latency), with intake over HTTP (POST /claims) or Kafka (ClaimSubmitted on fse.claims.submitted)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer

from bench.harness import claim, new_run, submission
from bench.hops import hops, tail
from bench.http1 import Client, RequestFailedError, post_request
from bench.watch import DecisionWatcher
from contracts import topics
from runtime.system import System


@dataclass
class Run:
    intake: str
    claims: int
    """Claims decided (at first, claims to send)."""
    sent: int = 0
    """Claims handed over: every one on Kafka; over HTTP, those the service answered 202."""
    seconds: float = 0.0
    offered_rate: float = 0.0
    complete: bool = True
    errors: int = 0
    receipts: list[float] = field(default_factory=list)
    decisions: list[float] = field(default_factory=list)
    hops: dict[str, list[float]] = field(default_factory=dict)
    tail: tuple[int, dict[str, float], dict[str, float]] = (0, {}, {})
    """The slowest 1 % of decisions: how many, their mean seconds in each hop, every claim's (bench.hops)."""
    rejected: int = 0
    notices: list[float] = field(default_factory=list)
    """For each rejection whose e-mail was sent: seconds from sending the claim to its NotificationSent."""
    notified_seconds: float = 0.0
    """From the first claim sent to the last decision or notification, whichever came later."""
    notified_complete: bool = True

    @property
    def rate(self) -> float:
        return self.claims / self.seconds if self.seconds else 0.0

    @property
    def notified_rate(self) -> float:
        """Claims a second through the whole pipeline, its last step included: the rejections' e-mails."""
        return self.claims / self.notified_seconds if self.notified_seconds else 0.0


class Load:
    def __init__(
        self, system: System, token: str, watcher: DecisionWatcher, stall_timeout: float = 60
    ) -> None:
        self.system = system
        self.token = token
        self.watcher = watcher
        self.stall_timeout = stall_timeout

    async def kafka(self, count: int, rate: float | None = None) -> Run:
        run, tag = Run("kafka", count), new_run()
        messages = [submission(self.token, claim(i, tag)) for i in range(count)]
        sent: dict[str, float] = {}
        producer = AIOKafkaProducer(
            bootstrap_servers=self.system.bootstrap_servers,
            acks="all",
            linger_ms=2,
            max_batch_size=256 * 1024,
        )
        await producer.start()
        try:
            started = time.time()
            futures = []
            for i, (key, value) in enumerate(messages):
                if rate:
                    delay = started + i / rate - time.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                sent[key.decode()] = time.time()
                futures.append(await producer.send(topics.CLAIM_SUBMISSIONS, value, key=key))
            await asyncio.gather(*futures)
            run.offered_rate = count / max(time.time() - started, 1e-9)
        finally:
            await producer.stop()
        return await self._finish(run, started, sent)

    async def http(self, count: int, rate: float | None = None, concurrency: int = 64) -> Run:
        """Open-loop at `rate` per second, or closed-loop with `concurrency` clients when rate is None."""
        run, tag = Run("http", count), new_run()
        host, port = "127.0.0.1", self.system.ports["claims"]
        authorization = {"Authorization": f"Bearer {self.token}"}
        # Encoded before the clock starts, as the Kafka intake's messages are.
        requests = [
            (str(body["submission_id"]), post_request(f"{host}:{port}", "/claims", body, authorization))
            for body in (claim(i, tag) for i in range(count))
        ]
        sent: dict[str, float] = {}
        client = Client(host, port, connections=concurrency)

        async def post(submission_id: str, request: bytes) -> None:
            begin = time.time()
            sent[submission_id] = begin
            try:
                if await client.send(request) == 202:
                    run.receipts.append(time.time() - begin)
                    return
            except RequestFailedError:
                pass
            run.errors += 1
            sent.pop(submission_id, None)

        try:
            started = time.time()
            if rate:
                tasks = []
                for i, (submission_id, request) in enumerate(requests):
                    delay = started + i / rate - time.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    tasks.append(asyncio.create_task(post(submission_id, request)))
                run.offered_rate = count / max(time.time() - started, 1e-9)
                await asyncio.gather(*tasks)
            else:
                queue = iter(requests)

                async def worker() -> None:
                    for submission_id, request in queue:
                        await post(submission_id, request)

                await asyncio.gather(*(worker() for _ in range(concurrency)))
                run.offered_rate = count / max(time.time() - started, 1e-9)
        finally:
            await client.close()
        return await self._finish(run, started, sent)

    async def _finish(self, run: Run, started: float, sent: dict[str, float]) -> Run:
        wanted = set(sent)
        run.sent = len(wanted)
        run.complete = await self.watcher.wait_for(wanted, self.stall_timeout)
        decided = {s: self.watcher.decided[s] for s in wanted if s in self.watcher.decided}
        run.decisions = [decided[s] - sent[s] for s in decided]
        timelines = self.watcher.timelines({s: sent[s] for s in decided})
        run.hops, run.tail = hops(timelines), tail(timelines)
        run.seconds = (max(decided.values()) - started) if decided else 0.0
        run.claims = len(decided)
        rejected = {s for s in decided if s in self.watcher.rejected}
        run.rejected = len(rejected)
        run.notified_complete = await self.watcher.wait_for(
            rejected, self.stall_timeout, self.watcher.notified
        )
        notified = {s: self.watcher.notified[s] for s in rejected if s in self.watcher.notified}
        run.notices = [notified[s] - sent[s] for s in notified]
        run.notified_seconds = max([run.seconds, *(at - started for at in notified.values())])
        return run
