"""A service's subscribers start together: each waits for its consumer group's join, and one after the
other a service with two groups waited for both in turn (runtime.broker.start_broker)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pytest
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from runtime.broker import ensure_topics, start_broker

pytestmark = pytest.mark.broker


async def test_the_subscribers_join_their_groups_together_and_then_consume(kafka_bootstrap: str) -> None:
    run = uuid.uuid4().hex[:8]
    topics = [f"test.start.{run}.{name}" for name in ("a", "b")]
    await ensure_topics(kafka_bootstrap, topics, 1)
    broker = KafkaBroker(kafka_bootstrap)
    received: dict[str, asyncio.Future[bytes]] = {}
    for topic in topics:
        received[topic] = asyncio.get_running_loop().create_future()

        def handler_for(topic: str) -> Callable[[bytes], Awaitable[None]]:
            async def handle(body: bytes) -> None:
                if not received[topic].done():
                    received[topic].set_result(body)

            return handle

        broker.subscriber(topic, group_id=f"{topic}-group", auto_offset_reset="earliest")(handler_for(topic))
    # What each subscriber's start did, in order: its start returns once its group has taken it in.
    steps: list[str] = []

    def traced(original: Callable[[], Awaitable[None]], name: str) -> Callable[[], Awaitable[None]]:
        async def start() -> None:
            steps.append(f"join {name}")
            await original()
            steps.append(f"joined {name}")

        return start

    for index, subscriber in enumerate(broker.subscribers):
        subscriber.start = traced(subscriber.start, str(index))  # type: ignore[method-assign,assignment]
    try:
        await start_broker(broker)
        assert broker.running
        assert sorted(steps[:2]) == ["join 0", "join 1"]  # the second did not wait for the first
        assert sorted(steps[2:]) == ["joined 0", "joined 1"]
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:
            for topic in topics:
                await producer.send_and_wait(topic, topic.encode())
        finally:
            await producer.stop()
        for topic in topics:
            assert await asyncio.wait_for(received[topic], 60) == topic.encode()
    finally:
        await broker.stop()
