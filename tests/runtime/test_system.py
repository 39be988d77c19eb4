"""The system launcher's own embedded broker: its topics get the embedded partition count (or the one a
scale-out asks for), and its threads keep to one CPU."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from contracts import topics
from runtime.broker import EMBEDDED_PARTITIONS, SCALE_OUT_PARTITIONS
from runtime.system import System
from runtime.tansu import EmbeddedBroker


async def partitions_of(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        await consumer.topics()
        return len(consumer.partitions_for_topic(topic) or ())
    finally:
        await consumer.stop()


@pytest.mark.parametrize("asked", [None, SCALE_OUT_PARTITIONS])
async def test_the_embedded_broker_gets_its_own_partition_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, asked: int | None
) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)  # a named broker would be used instead
    system = System.on_free_ports(tmp_path, **({} if asked is None else {"embedded_partitions": asked}))
    expected = EMBEDDED_PARTITIONS if asked is None else asked
    try:
        await asyncio.to_thread(system.start_broker)  # it runs its own event loop
        assert system.broker is not None
        assert await partitions_of(system.bootstrap_servers, topics.CLAIMS) == expected
        assert await partitions_of(system.bootstrap_servers, topics.dead_letter(topics.CLAIMS)) == expected
    finally:
        system.stop()


def test_the_embedded_broker_runs_every_thread_on_one_cpu() -> None:
    allowed = os.sched_getaffinity(0)
    broker = EmbeddedBroker().start()
    try:
        assert broker.process is not None
        threads = [int(t) for t in os.listdir(f"/proc/{broker.process.pid}/task")]
        used = {frozenset(os.sched_getaffinity(thread)) for thread in threads}
    finally:
        broker.stop()
    assert len(threads) > 1  # its runtime's worker threads, started after the CPU was chosen
    assert used == {frozenset({max(allowed)} if len(allowed) > 1 else allowed)}


def test_the_embedded_broker_is_killed_not_asked_to_stop() -> None:
    """It keeps everything in memory, so there is nothing to wait for; asked with SIGTERM, it waits for
    every client still connected to leave (the grace of runtime.processes.terminate, 5 s)."""
    broker = EmbeddedBroker().start()
    process = broker.process
    assert process is not None
    broker.stop()
    assert process.returncode == -signal.SIGKILL


def test_a_service_that_fails_to_start_is_named_with_the_end_of_its_log(tmp_path: Path) -> None:
    """A benchmark's or a test's data directory goes with its logs: what the service said must be in
    the error itself."""
    (tmp_path / "logs").mkdir()
    system = System.on_free_ports(
        tmp_path, services=("tariff",), extra_env={"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"}
    )
    try:
        system.start_service("tariff")  # no keys in its data directory: it stops at once
        with pytest.raises(RuntimeError) as failure:
            system.wait_healthy(timeout=60)
    finally:
        system.stop()
    message = str(failure.value)
    assert message.startswith(
        f"tariff exited with 1; the end of its log, {tmp_path / 'logs' / 'tariff.log'}:\n"
    )
    assert "MissingKeyError: keys/data.key: not configured" in message
    assert len(message.splitlines()) <= 21  # the last 20 lines, not the whole log
