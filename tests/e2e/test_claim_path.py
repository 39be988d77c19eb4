"""One claim through all five services over the real broker: receipt at once, decision within seconds."""

from __future__ import annotations

import re
import time
import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from faststream.specification.asyncapi.site import ASYNCAPI_TRY_IT_PLUGIN_URL

from bench import consumption
from contracts import topics
from contracts.claims import ClaimReceivedV1, ClaimSubmittedV1
from contracts.common import ClaimContent
from contracts.envelope import Envelope
from runtime.mailsink import kept_messages
from runtime.system import SERVICES, System
from tests.helpers import data_of, eventually, read_to_end

pytestmark = pytest.mark.broker


def demo_claim(matricule: str, code_fse: str, fund: str = "CCSS", **extra: Any) -> dict[str, Any]:
    return {
        "submission_id": f"e2e-{uuid.uuid4()}",
        "fund": fund,
        "matricule": matricule,
        "code_fse": code_fse,
        "profession": "medecin",
        "acts": [
            {
                "nomenclature": "NGAP",
                "code": "G",
                "coefficient": "1",
                "date_of_care": date.today().isoformat(),
            }
        ],
        **extra,
    }


async def wait_for_decision(system: System, headers: dict[str, str], reference: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=system.url("claims"), headers=headers) as client:

        async def decided() -> dict[str, Any] | None:
            claim: dict[str, Any] = (await client.get(f"/claims/{reference}")).json()
            return claim if claim["status"] in {"accepted", "rejected"} else None

        # Generous: after a restart the broker must expire the old group members before consuming again.
        return await eventually(decided, timeout=120, interval=0.05)


def submit(system: System, headers: dict[str, str], body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{system.url('claims')}/claims", json=body, headers=headers)


async def test_an_open_claim_is_received_at_once_and_accepted(system: System, doctor: dict[str, str]) -> None:
    response = submit(system, doctor, demo_claim("100001", "A1B2C3"))

    assert response.status_code == 202
    receipt = response.json()
    assert receipt["reference"].startswith("FSE-")
    assert receipt["digest"].startswith("sha256:")
    decided = await wait_for_decision(system, doctor, receipt["reference"])
    assert decided["status"] == "accepted"
    assert (decided["total_fee"], decided["total_reimbursement"], decided["patient_share"]) == (
        "30.00",
        "24.00",
        "6.00",
    )


@pytest.mark.parametrize(
    ("matricule", "code", "reason"),
    [
        ("100003", "K1L2M3", "RIGHTS_CLOSED"),
        ("999999", "A1B2C3", "BENEFICIARY_UNKNOWN"),
        ("100001", "ZZZZZZ", "CODE_FSE_INVALID"),
    ],
)
async def test_a_claim_without_rights_is_rejected_and_the_insured_notified(
    system: System, doctor: dict[str, str], operator: dict[str, str], matricule: str, code: str, reason: str
) -> None:
    reference = submit(system, doctor, demo_claim(matricule, code)).json()["reference"]

    decided = await wait_for_decision(system, doctor, reference)

    assert (decided["status"], decided["reason_code"]) == ("rejected", reason)

    async def notices_for_claim() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(headers=operator) as client:
            listed = (await client.get(f"{system.url('notifications')}/notifications/notices")).json()
        return [n for n in listed if n["key"] == f"rejection:{reference}"]

    notices = await eventually(notices_for_claim)
    assert len(notices) == 1
    assert notices[0]["audience"] == "insured"
    assert notices[0]["recipient"] == f"insured:CCSS:{matricule}:0"
    if matricule != "999999":  # the demo insured chose e-mail: the notice reaches the mail sink

        async def mailed() -> list[bytes]:
            return [m for m in kept_messages(system.data_dir / "mail") if reference.encode() in m]

        assert len(await eventually(mailed)) == 1


def test_the_same_submission_twice_gives_one_receipt(system: System, doctor: dict[str, str]) -> None:
    body = demo_claim("100001", "A1B2C3")
    first, second = submit(system, doctor, body), submit(system, doctor, body)
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    body["acts"][0]["coefficient"] = "2"
    assert submit(system, doctor, body).status_code == 409


async def test_practice_software_transmits_over_kafka(system: System, doctor: dict[str, str]) -> None:
    content = ClaimContent.model_validate(demo_claim("200001", "G7H8J9", fund="CAMTI"))
    envelope = Envelope.wrap(
        ClaimSubmittedV1(access_token=doctor["Authorization"].removeprefix("Bearer "), claim=content),
        source="practice-software/test",
        subject=content.submission_id,
    )
    producer = AIOKafkaProducer(bootstrap_servers=system.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(
            topics.CLAIM_SUBMISSIONS, envelope.model_dump_json().encode(), key=content.submission_id.encode()
        )
    finally:
        await producer.stop()

    async def received() -> list[dict[str, Any]]:  # read only: nothing but the transmission stores it
        records = await read_to_end(system.bootstrap_servers, topics.CLAIMS)
        claims = data_of(records, ClaimReceivedV1)
        return [c for c in claims if c["claim"]["submission_id"] == content.submission_id]

    [stored] = await eventually(received)
    # The same submission id over HTTP then answers with the receipt the Kafka transmission got.
    async with httpx.AsyncClient(headers=doctor) as client:
        again = await client.post(f"{system.url('claims')}/claims", json=content.model_dump(mode="json"))
    assert again.status_code == 202, again.text
    assert again.json()["reference"] == stored["reference"]
    decided = await wait_for_decision(system, doctor, stored["reference"])
    assert decided["status"] == "accepted"
    assert decided["total_reimbursement"] == "24.00"


def test_bad_input_is_refused_naming_the_field(system: System, doctor: dict[str, str]) -> None:
    body = demo_claim("100001", "A1B2C3")
    body["acts"][0]["coefficient"] = "-3"
    body["fund"] = "NOPE"
    response = submit(system, doctor, body)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"body.fund", "body.acts.0.coefficient"}
    assert "-3" not in response.text
    assert submit(system, {}, demo_claim("100001", "A1B2C3")).status_code == 401
    huge = httpx.post(f"{system.url('claims')}/claims", content=b"x" * (2 * 1024 * 1024), headers=doctor)
    assert huge.status_code == 413


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_shows_health_metrics_and_its_documents(system: System, service: str) -> None:
    with httpx.Client(base_url=system.url(service)) as client:
        health = client.get("/health")
        assert health.status_code == 200
        assert health.json()["checks"] == {"database": True, "broker": True}
        metrics = client.get("/metrics").text
        assert "fse_outbox_published_total" in metrics
        frozen = re.search(r"^fse_gc_frozen_objects (\S+)$", metrics, re.MULTILINE)
        assert frozen, "fse_gc_frozen_objects"
        assert float(frozen.group(1)) > 50_000  # its libraries and schemas (runtime.heap)
        assert client.get("/openapi.json").json()["info"]["title"].startswith("FSE")
        asyncapi = client.get("/asyncapi.json").json()
        assert asyncapi["asyncapi"].startswith("3.")
        page = client.get("/asyncapi").text
        assert "asyncapi" in page
        assert ASYNCAPI_TRY_IT_PLUGIN_URL not in page
        assert client.post("/asyncapi/try", json={}).status_code in {404, 405}


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_meters_its_retentions(system: System, service: str) -> None:
    """Every service runs the inbox's retention as it starts: a round that succeeded, counted, and the
    time of that success (the alert's measure)."""
    rounds = re.compile(r'^fse_periodic_rounds_total\{outcome="ok",task="inbox retention"\} (\S+)$', re.M)
    success = re.compile(
        r'^fse_periodic_last_success_timestamp_seconds\{task="inbox retention"\} (\S+)$', re.M
    )

    async def metered() -> str | None:
        async with httpx.AsyncClient(base_url=system.url(service)) as client:
            metrics = (await client.get("/metrics")).text
        done = rounds.search(metrics)
        return metrics if done and float(done.group(1)) >= 1 else None

    metrics = await eventually(metered)
    last = success.search(metrics)
    assert last, "fse_periodic_last_success_timestamp_seconds"
    assert float(last.group(1)) <= time.time()
    assert re.search(r'^fse_periodic_deleted_rows_total\{task="inbox retention"\} \S+$', metrics, re.M)


def test_consumers_report_per_handler_metrics(system: System) -> None:
    metrics = httpx.get(f"{system.url('claims')}/metrics").text
    assert 'faststream_received_messages_total{app_name="claims"' in metrics
    # what the benchmark reads (bench.consumption): the claims path's events, in batches of one or more
    done = consumption.parse(metrics)
    assert 0 < done.batches <= done.messages
    assert done.published > 0  # its outbox relay's events (ClaimReceived and the decisions)
