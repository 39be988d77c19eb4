"""Bad input at scale on every consumed topic (Hypothesis): garbage bytes, JSON that is no envelope,
envelopes of unknown types or versions, known events with wrong fields. Each lands on the topic's
dead-letter topic with its error; the consumers keep going and valid claims are still decided."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.registry import all_models
from contracts.topics import dead_letter
from runtime.revocations import NO_GROUP
from runtime.system import SERVICES, System
from tests.e2e.test_claim_path import demo_claim, submit, wait_for_decision
from tests.helpers import eventually, read_to_end

pytestmark = pytest.mark.broker
T = TypeVar("T")

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def consumed(system: System) -> dict[str, set[str]]:
    """topic -> the event types its consumer groups handle, from each service's AsyncAPI document."""
    handled: dict[str, set[str]] = {}
    for service in SERVICES:
        document = httpx.get(f"{system.url(service)}/asyncapi.json").json()
        for name, channel in document.get("channels", {}).items():
            if name.startswith(f"{NO_GROUP}:"):
                continue  # a reader in no group (session revocations) skips what it cannot read
            types = {t.strip() for t in channel.get("description", "").split(",") if t.strip()}
            handled.setdefault(channel["address"], set()).update(types)
    return handled


def envelope(event_type: str, version: int, data: Any) -> bytes:
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "type": event_type,
            "source": "fuzz",
            "subject": "fuzz",
            "schema_version": version,
            "correlation_id": str(uuid.uuid4()),
            "time": "2026-01-01T00:00:00Z",
            "data": data,
        }
    ).encode()


def bad_messages(handled: set[str]) -> st.SearchStrategy[bytes]:
    known = {event_type for event_type, _ in all_models()}
    versions = {t: max(v for k, v in all_models() if k == t) for t in handled}
    types = st.sampled_from(sorted(handled))
    return st.one_of(
        st.binary(max_size=2048),
        JSON.map(lambda v: json.dumps(v).encode()),
        st.builds(
            envelope, st.text(min_size=1, max_size=30).filter(lambda t: t not in known), st.just(1), JSON
        ),
        types.flatmap(lambda t: st.builds(envelope, st.just(t), st.integers(versions[t] + 1, 10**6), JSON)),
        types.flatmap(
            lambda t: st.builds(
                envelope, st.just(t), st.just(versions[t]), st.dictionaries(st.text(max_size=8), JSON)
            )
        ),
    )


async def started_producer(bootstrap: str) -> AIOKafkaProducer:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    return producer


def _bind(
    check: Callable[[str, set[bytes]], Awaitable[T]], topic: str, keys: set[bytes]
) -> Callable[[], Awaitable[T]]:
    return lambda: check(topic, keys)


def test_bad_messages_on_every_consumed_topic_are_dead_lettered_and_valid_claims_still_flow(
    system: System, doctor: dict[str, str]
) -> None:
    handled = consumed(system)
    assert handled, "no consumed topics found"
    loop = asyncio.new_event_loop()  # Hypothesis drives a sync test; the Kafka calls run on this loop
    producer = loop.run_until_complete(started_producer(system.bootstrap_servers))
    sent: dict[str, set[bytes]] = {topic: set() for topic in handled}
    try:

        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.data())
        def publish(data: st.DataObject) -> None:
            topic = data.draw(st.sampled_from(sorted(handled)))
            value = data.draw(bad_messages(handled[topic]))
            key = f"fuzz-{uuid.uuid4()}".encode()
            loop.run_until_complete(producer.send_and_wait(topic, value, key=key))
            sent[topic].add(key)

        publish()
    finally:
        loop.run_until_complete(producer.stop())

    async def all_dead_lettered(topic: str, keys: set[bytes]) -> list[Any] | None:
        # Everything on the dead-letter topic so far: it also holds other tests' dead letters, and one
        # bad message is dead-lettered once by every consumer group that reads its topic.
        records = await read_to_end(system.bootstrap_servers, dead_letter(topic))
        ours = [r for r in records if r.key in keys]
        return ours if {r.key for r in ours} == keys else None

    for topic, keys in sent.items():
        if not keys:
            continue
        records = loop.run_until_complete(eventually(_bind(all_dead_lettered, topic, keys), timeout=90))
        for record in records:
            headers = {name: value.decode() for name, value in record.headers}
            assert headers["dlt-original-topic"] == topic
            assert headers["dlt-exception-class"]
            assert headers["dlt-exception-message"]
    loop.close()

    response = submit(system, doctor, demo_claim("100001", "A1B2C3"))
    assert response.status_code == 202
    decided = asyncio.run(wait_for_decision(system, doctor, response.json()["reference"]))
    assert decided["status"] == "accepted"
    for service in SERVICES:
        assert httpx.get(f"{system.url(service)}/health").status_code == 200
