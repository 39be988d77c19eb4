"""The system launcher's own embedded broker: its topics get the embedded partition count."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from contracts import topics
from runtime.broker import EMBEDDED_PARTITIONS
from runtime.system import System


async def partitions_of(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        await consumer.topics()
        return len(consumer.partitions_for_topic(topic) or ())
    finally:
        await consumer.stop()


async def test_the_embedded_broker_gets_its_own_partition_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)  # a named broker would be used instead
    system = System.on_free_ports(tmp_path)
    try:
        await asyncio.to_thread(system.start_broker)  # it runs its own event loop
        assert system.broker is not None
        assert await partitions_of(system.bootstrap_servers, topics.CLAIMS) == EMBEDDED_PARTITIONS
        assert await partitions_of(system.bootstrap_servers, topics.dead_letter(topics.CLAIMS)) == (
            EMBEDDED_PARTITIONS
        )
    finally:
        system.stop()
