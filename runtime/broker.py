"""One broker factory: a FastStream Kafka broker with Prometheus metrics, consumer settings that suit
both Apache Kafka and the embedded broker, topic creation, and dead-letter publishing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Awaitable, Callable, Iterable
from itertools import chain
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.kafka.subscriber.usecase import BatchSubscriber
from faststream.message import StreamMessage
from prometheus_client import CollectorRegistry

from runtime.messaging.consumer import Consumer
from runtime.messaging.offsets import Acknowledger, OffsetCommitter
from runtime.settings import ServiceSettings

log = logging.getLogger(__name__)

PARTITIONS = 12
"""Partitions per topic on Apache Kafka (`python -m runtime.ops topics`): up to 12 instances of a service
share a stream."""
EMBEDDED_PARTITIONS = 1
"""Partitions per topic on the embedded broker (`make run`, the benchmarks). It holds an idle fetch until
its wait runs out and its cost grows with the partitions a fetch names: measured at rest, the system
used 98 % of a core with 12 (the broker 58 %) and 57 % with 4 (the broker 26 %); a run of 3,000 claims
cost 4.3-5.7 ms of CPU each with 12, 3.7-4.4 with 4. On a later, faster machine, 4 against 2: at rest
the broker 21.7-22.9 against 17.4-18.5 % of a core; at 300 claims/s 1.73-1.75 against 1.54-1.64 ms of
broker CPU a claim and a decision p99 of 426-506 against 347-357 ms. Later still, 2 against 1, four
interleaved pairs at 300 claims/s: the broker 1.69-1.91 against 1.42-1.68 ms a claim, a decision p99 of
212-217 against 159-176 ms, the same throughput. A second instance of a service needs a partition of
its own to share the work: a system started for that asks for `SCALE_OUT_PARTITIONS`."""
SCALE_OUT_PARTITIONS = 2
"""Partitions per topic on the embedded broker for a system whose services run two instances each
(`python -m bench.scaleout`)."""


IDLE_WAKE_MS = 1000
"""How long a consumer's loop waits for records before it looks again (WaitingBatchSubscriber): records
end the wait at once, so this bounds only the wake-ups of an idle loop."""


def make_broker(settings: ServiceSettings, registry: CollectorRegistry) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=settings.service_name,
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name=settings.service_name)],
        enable_idempotence=False,
        acks="all",
        logger=logging.getLogger(f"{settings.service_name}.broker"),
        log_level=logging.DEBUG,
    )


async def start_broker(broker: KafkaBroker) -> None:
    """FastStream's `KafkaBroker.start` (0.7.8), with the subscribers started together rather than one
    after the other. Each one's start waits until its consumer group has taken it in, which the embedded
    broker answers half a session timeout after the JoinGroup (5 s at the default 10 s) and Apache Kafka
    after `group.initial.rebalance.delay.ms` for a new group: a service with two groups (tariff) took
    twice as long to become ready."""
    await broker.connect()
    await asyncio.gather(*(subscriber.start() for subscriber in broker.subscribers))
    for publisher in broker.publishers:
        await publisher.start()
    broker.running = True


class OffsetCommitters:
    """The offset committers of a service's consumers (runtime.messaging.offsets), flushed together
    when it stops."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._by_consumer: weakref.WeakKeyDictionary[Any, OffsetCommitter] = weakref.WeakKeyDictionary()

    def of(self, consumer: Any) -> OffsetCommitter:
        committer = self._by_consumer.get(consumer)
        if committer is None:
            committer = self._by_consumer[consumer] = OffsetCommitter(consumer, self._interval)
        return committer

    @property
    def pending(self) -> dict[TopicPartition, int]:
        """The offsets recorded by every consumer and not yet handed to Kafka."""
        committers = list(self._by_consumer.values())
        return {partition: offset for c in committers for partition, offset in c.pending.items()}

    @property
    def settled(self) -> bool:
        return all(committer.settled for committer in list(self._by_consumer.values()))

    async def flush(self) -> None:
        for committer in list(self._by_consumer.values()):
            await committer.flush()


def attach(
    broker: KafkaBroker,
    consumer: Consumer,
    settings: ServiceSettings,
    committers: OffsetCommitters | None = None,
) -> None:
    """Register `consumer` as one batch subscriber over all its topics: offsets are committed only after
    the batch's effects are durable (or dead-lettered), in the background (`committers`); an exception
    rewinds the batch for redelivery.

    One Kafka consumer per group, not per topic: the embedded broker answers an idle fetch only when
    its wait runs out, so every consumer polls at its fetch wait, and each costs CPU at rest."""
    wait = settings.kafka_background_wait_ms if consumer.background else settings.kafka_fetch_max_wait_ms
    offsets = committers or OffsetCommitters(settings.kafka_commit_interval_ms / 1000)

    async def parse(message: Any, original: Callable[[Any], Awaitable[StreamMessage[Any]]]) -> Any:
        parsed = await original(_readable_headers(message))
        records = message if isinstance(message, tuple) else (message,)
        real = parsed.consumer  # type: ignore[attr-defined]
        parsed.consumer = Acknowledger(real, records, offsets.of(real))  # type: ignore[attr-defined]
        return parsed

    # The records arrive as the handler's body (see _undecoded), not through FastStream's message
    # parameter: that one is injected by a synchronous dependency, run in a worker thread per batch.
    async def consume(records: Any) -> None:
        await consumer.process(records if isinstance(records, tuple) else (records,))

    consume.__name__ = consumer.group.replace(".", "_").replace("-", "_")
    subscriber = broker.subscriber(
        *consumer.topics,
        decoder=_undecoded,
        parser=parse,
        group_id=consumer.group,
        batch=True,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=wait,
        max_records=settings.kafka_max_records,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=max(settings.kafka_session_timeout_ms // 5, 100),
        max_poll_interval_ms=300_000,
        # AsyncAPI names each channel "<title>:<topic>": "<group>:<topic>", read by runtime.ops.
        title=consumer.group,
        description=", ".join(consumer.event_types),
    )
    if type(subscriber) is not BatchSubscriber:
        raise TypeError(f"a batch subscriber was expected, not {type(subscriber).__name__}")
    subscriber.__class__ = WaitingBatchSubscriber  # the same object, without the sleep (below)
    subscriber(consume)


class WaitingBatchSubscriber(BatchSubscriber):
    """FastStream's batch subscriber, minus a sleep: its loop asks the consumer for records with the
    batch timeout and, when none came, sleeps as long again before asking. A record arriving meanwhile
    waits for the sleep to end (up to one fetch wait more on every hop), and an idle loop wakes twice
    per fetch wait. Here the loop waits on the consumer itself, which hands over records the moment a
    fetch brings them, and wakes otherwise only once a second."""

    __slots__ = ()

    async def get_msg(self, consumer: Any) -> tuple[Any, ...]:
        batches = await consumer.getmany(timeout_ms=IDLE_WAKE_MS, max_records=self.max_records)
        return tuple(chain.from_iterable(batches.values()))


def _readable_headers(message: Any) -> Any:
    """FastStream decodes every header as strict UTF-8: one header without a value (Kafka allows it) or
    with other bytes would fail the whole batch, fetched again and failing forever. Such values are made
    readable first (an empty value, or the bytes with replacement characters)."""
    for record in message if isinstance(message, tuple) else (message,):
        if record.headers:
            record.headers = tuple((name, _readable(value)) for name, value in record.headers)
    return message


def _readable(value: bytes | None) -> bytes:
    if value is None:
        return b""
    try:
        value.decode()
    except UnicodeDecodeError:
        return value.decode("utf-8", "replace").encode()
    return value


async def _undecoded(message: StreamMessage[Any]) -> Any:
    """The kit reads the raw records itself: FastStream's decoding of every body as JSON (and a
    message object per record) would be thrown away, at a cost of ~10 % of a consumer's CPU. The body
    handed to the handler is the batch's records as fetched."""
    return message.raw_message


class DeadLetterPublisher:
    """The consumers' dead-letter sink (runtime.messaging.consumer.DeadLetterSink) on the service's broker."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def __call__(
        self, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]
    ) -> Awaitable[object]:
        return await self._broker.publish(value, topic, key=key, headers=headers, no_confirm=True)


async def ensure_topics(
    bootstrap_servers: str,
    topics: Iterable[str],
    partitions: int = PARTITIONS,
    replication: int = 1,
    configs: dict[str, str] | None = None,
) -> None:
    """Create the topics that do not exist yet (idempotent); waits for the broker to answer."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="fse-admin")
    for attempt in range(60):
        try:
            await admin.start()
            break
        except KafkaConnectionError:
            if attempt == 59:
                raise
            await asyncio.sleep(0.5)
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, num_partitions=partitions, replication_factor=replication, topic_configs=configs)
            for name in topics
            if name not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
    finally:
        await admin.close()
