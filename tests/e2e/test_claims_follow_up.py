"""The claims service through the whole system: decisions pushed as server-sent events, refused Kafka
transmissions dead-lettered and announced, same-day deletion honoured, the Excel export."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from contracts import topics
from contracts.claims import ClaimReceivedV1, ClaimSubmissionRefusedV1, ClaimSubmittedV1
from contracts.common import ClaimContent
from contracts.envelope import Envelope
from runtime.system import System
from tests.e2e.conftest import deletion_answer, deletion_answers
from tests.e2e.test_claim_path import demo_claim, submit
from tests.helpers import data_of, eventually, read_topic

pytestmark = pytest.mark.broker


async def read_events(response: httpx.Response, until: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    async for line in response.aiter_lines():
        if line.startswith("data: "):
            seen.append(json.loads(line.removeprefix("data: ")))
            if until(seen[-1]):
                break
    return seen


async def test_a_front_end_is_told_of_the_decision_without_polling(
    system: System, doctor: dict[str, str]
) -> None:
    timeout = httpx.Timeout(5.0, read=60.0)
    async with (
        httpx.AsyncClient(base_url=system.url("claims"), headers=doctor, timeout=timeout) as client,
        client.stream("GET", "/claims/events") as followed,
    ):
        assert followed.headers["content-type"].startswith("text/event-stream")
        reference = (await client.post("/claims", json=demo_claim("100001", "A1B2C3"))).json()["reference"]
        events = await read_events(
            followed, lambda e: e["reference"] == reference and e["status"] == "accepted"
        )
    mine = [e["status"] for e in events if e["reference"] == reference]
    assert mine[0] == "received"
    assert mine[-1] == "accepted"

    async with (
        httpx.AsyncClient(base_url=system.url("claims"), headers=doctor, timeout=timeout) as client,
        client.stream("GET", f"/claims/{reference}/events") as one,
    ):
        replayed = await read_events(one, lambda _e: False)  # the stream ends after the final status
    assert [e["status"] for e in replayed] == mine


async def send(system: System, payload: ClaimSubmittedV1) -> None:
    envelope = Envelope.wrap(payload, source="practice-software/test", subject=payload.claim.submission_id)
    producer = AIOKafkaProducer(bootstrap_servers=system.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(topics.CLAIM_SUBMISSIONS, envelope.model_dump_json().encode(), key=b"k")
    finally:
        await producer.stop()


async def test_a_refused_kafka_transmission_is_dead_lettered_and_announced(
    system: System, doctor: dict[str, str]
) -> None:
    late = demo_claim("100001", "A1B2C3")
    late["acts"][0]["date_of_care"] = (date.today() - timedelta(days=40)).isoformat()
    content = ClaimContent.model_validate(late)
    await send(system, ClaimSubmittedV1(access_token=doctor["Authorization"][7:], claim=content))
    await send(
        system,
        ClaimSubmittedV1(
            access_token="expired.or.forged",
            claim=content.model_copy(update={"submission_id": f"x-{uuid.uuid4()}"}),
        ),
    )

    async def dead_letter() -> list[dict[str, str]]:
        records = await read_topic(
            system.bootstrap_servers, topics.dead_letter(topics.CLAIM_SUBMISSIONS), 1, 2
        )
        headers = [
            {k: v.decode() for k, v in r.headers}
            for r in records
            if content.submission_id.encode() in r.value
        ]
        return headers

    [headers] = await eventually(dead_letter)
    assert headers["dlt-exception-message"].startswith("acts.date_of_care: DEADLINE_EXCEEDED")

    async def notice() -> list[dict[str, Any]]:
        records = await read_topic(system.bootstrap_servers, topics.CLAIMS, 1, 2)
        return [
            e
            for e in data_of(records, ClaimSubmissionRefusedV1)
            if e["submission_id"] == content.submission_id
        ]

    [refused] = await eventually(notice)
    assert (refused["reason_code"], refused["field"]) == ("DEADLINE_EXCEEDED", "acts.date_of_care")
    assert refused["practitioner_id"]


async def test_a_claim_deleted_the_same_day_is_cancelled(system: System, doctor: dict[str, str]) -> None:
    before = datetime.now(UTC)
    receipt = submit(system, doctor, demo_claim("100001", "A1B2C3")).json()
    reference = receipt["reference"]
    async with httpx.AsyncClient(base_url=system.url("claims"), headers=doctor) as client:
        deleted = await client.delete(f"/claims/{reference}")
        answer = deletion_answer(deleted)
        assert answer in deletion_answers(receipt["received_at"], before, datetime.now(UTC))
        detail = (await client.get(f"/claims/{reference}/detail")).json()
    if answer is None:
        assert detail["status"] == "cancelled"
        assert detail["changes"][-1]["status"] == "cancelled"
    else:  # refused from 22:00 to midnight in Monaco (tests/claims/test_deletion.py has a clock): kept
        assert detail["status"] != "cancelled"
        assert "cancelled" not in [change["status"] for change in detail["changes"]]


async def test_bad_kafka_messages_are_dead_lettered_and_the_valid_one_goes_through(
    system: System, doctor: dict[str, str]
) -> None:
    marker = uuid.uuid4().hex
    valid = ClaimContent.model_validate(demo_claim("100001", "A1B2C3"))
    negative = demo_claim("100001", "A1B2C3")
    negative["acts"][0]["fee"] = "-5.00"
    bad_payload = Envelope.wrap(
        ClaimSubmittedV1(access_token="t", claim=valid), source="practice-software/test", subject=marker
    ).model_dump(mode="json")
    bad_payload["data"]["claim"] = negative
    messages = [
        b"{not json " + marker.encode(),
        json.dumps({"type": "ClaimSubmitted", "subject": marker}).encode(),
        json.dumps(bad_payload).encode(),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=system.bootstrap_servers)
    await producer.start()
    try:
        for message in messages:
            await producer.send_and_wait(topics.CLAIM_SUBMISSIONS, message, key=marker.encode())
    finally:
        await producer.stop()
    await send(system, ClaimSubmittedV1(access_token=doctor["Authorization"][7:], claim=valid))

    async def dead_letters() -> list[str] | None:
        records = await read_topic(
            system.bootstrap_servers, topics.dead_letter(topics.CLAIM_SUBMISSIONS), 1, 2
        )
        mine = [
            dict(r.headers)["dlt-exception-message"].decode() for r in records if marker.encode() in r.value
        ]
        return mine if len(mine) == 3 else None

    reasons = await eventually(dead_letters)
    assert any("acts.0.fee" in reason for reason in reasons)
    assert "-5.00" not in " ".join(reasons)

    async def received() -> list[str]:
        records = await read_topic(system.bootstrap_servers, topics.CLAIMS, 1, 2)
        return [
            e["reference"]
            for e in data_of(records, ClaimReceivedV1)
            if e["claim"]["submission_id"] == valid.submission_id
        ]

    assert len(await eventually(received)) == 1
