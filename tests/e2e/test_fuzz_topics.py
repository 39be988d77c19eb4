"""Bad input on every consumed topic (Hypothesis, the messages of `python -m bench.fuzz`): garbage bytes,
JSON that is no envelope, envelopes of unknown types or versions, known events with wrong fields. Each
lands on the topic's dead-letter topic once for each group that must refuse it, with its origin and
error named; the consumers keep going and valid claims are still decided."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bench.fuzz import caught_up, dead_lettered, draw, publish
from runtime.ops import readers
from runtime.system import SERVICES, System
from tests.e2e.test_claim_path import demo_claim, submit, wait_for_decision

pytestmark = pytest.mark.broker


async def test_bad_messages_on_every_consumed_topic_are_dead_lettered_and_valid_claims_still_flow(
    system: System, doctor: dict[str, str]
) -> None:
    topics = await asyncio.to_thread(readers, [system.url(s) for s in SERVICES])
    assert {"fse.claims.submitted", "fse.eligibility", "fse.tariff", "fse.claims"} <= set(topics)
    messages = await asyncio.to_thread(draw, topics, 60, 8)
    assert {m.topic for m in messages} == set(topics), "every consumed topic gets bad input"
    await publish(system.bootstrap_servers, messages)

    assert await caught_up(system, topics, limit=90) == {}, "every group has read every message"
    letters = await dead_lettered(system.bootstrap_servers, messages)
    assert letters.passed, letters
    assert letters.found == letters.expected >= len(messages)
    assert {"body", "data", "type", "schema_version"} <= set(letters.examples), letters.examples

    response = await asyncio.to_thread(submit, system, doctor, demo_claim("100001", "A1B2C3"))
    assert response.status_code == 202
    decided = await wait_for_decision(system, doctor, response.json()["reference"])
    assert decided["status"] == "accepted"
    async with httpx.AsyncClient(timeout=5) as client:
        for service in SERVICES:
            assert (await client.get(f"{system.url(service)}/health")).status_code == 200
