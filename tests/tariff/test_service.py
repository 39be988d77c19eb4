"""The real service: the nomenclature stored in its database at start, the preview over HTTP, the
asynchronous step over the broker, and both agreeing on every worked example."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from pydantic import ValidationError
from sqlalchemy import func, select

from contracts import topics
from contracts.eligibility import EligibilityCheckedV1
from contracts.envelope import Envelope
from runtime import db
from services.tariff.adapters.orm import ccam_acts, ngap_keys
from tests.helpers import assigned, eventually
from tests.tariff.conftest import Service
from tests.tariff.examples import Example
from tests.tariff.examples_table import EXAMPLES

pytestmark = pytest.mark.broker
FIGURES = ("total_base", "total_fee", "total_reimbursement", "patient_share", "paid_to_professional")


def preview_body(example: Example) -> dict[str, Any]:
    coverage = example.coverage
    return {
        "claim": example.claim.model_dump(mode="json"),
        "card_colour": coverage.card_colour,
        "etm": coverage.etm,
        "overrun_allowed": coverage.overrun_allowed,
        "hnp_allowed": coverage.hnp_allowed,
    }


def figures(body: dict[str, Any]) -> dict[str, Decimal] | str:
    """The amounts of a preview answer or a ClaimPriced event, or the code of a refusal (either form)."""
    refusal = body.get("code") or body.get("reason_code")
    if refusal:
        return str(refusal)
    return {name: Decimal(str(body[name])) for name in FIGURES}


async def test_the_nomenclature_is_stored_at_start_and_the_preview_refuses_clearly(service: Service) -> None:
    engine = db.make_engine(service.settings.resolved_database_url())
    try:
        async with engine.connect() as connection:
            acts = (await connection.execute(select(func.count()).select_from(ccam_acts))).scalar_one()
            keys = (await connection.execute(select(func.count()).select_from(ngap_keys))).scalar_one()
    finally:
        await engine.dispose()
    assert (acts, keys) == (13_439, 47)
    listed = (await service.client.get("/tariff/nomenclature/versions", headers=service.token())).json()
    assert {(v["version"], v["effective_from"]) for v in listed} == {
        ("NGAP-FR-2024-12-22", "2024-12-22"),
        ("CCAM-v81", "2026-01-01"),
    }

    # the preview refuses with the field and a stable code
    example = next(e for e in EXAMPLES if e.expected == "OVERRUN_FORBIDDEN")
    response = await service.client.post(
        "/tariff/preview", json=preview_body(example), headers=service.token()
    )
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["line"], body["errors"][0]["field"]) == ("OVERRUN_FORBIDDEN", 0, "acts.0.fee")
    assert (await service.client.post("/tariff/preview", json=preview_body(example))).status_code == 401


async def test_preview_and_asynchronous_step_agree_on_every_worked_example(
    service: Service, kafka_bootstrap: str
) -> None:
    previews: dict[str, dict[str, Decimal] | str] = {}
    bodies: dict[str, dict[str, Any]] = {}
    checked: dict[str, Example] = {}
    for example in EXAMPLES:
        response = await service.client.post(
            "/tariff/preview", json=preview_body(example), headers=service.token()
        )
        assert response.status_code in (200, 422), response.text
        reference = f"FSE-20260302-{uuid.uuid4().hex[:10].upper()}"
        bodies[reference] = response.json()
        previews[reference] = figures(bodies[reference])
        checked[reference] = example
        assert previews[reference] == example.figures(), example.name

    await publish(kafka_bootstrap, service.settings.eligibility_topic, checked)
    published = await priced_events(kafka_bootstrap, set(checked))

    assert {ref: figures(body) for ref, body in published.items()} == previews
    for reference, body in bodies.items():  # every field, line by line, not only the totals
        if "code" not in body:
            assert {k: v for k, v in published[reference].items() if k in body} == body


async def publish(bootstrap: str, topic: str, examples: dict[str, Example]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for reference, example in examples.items():
            event = EligibilityCheckedV1(
                reference=reference,
                practitioner_id="dr-a",
                eligible=True,
                card_colour=example.coverage.card_colour,
                etm=example.coverage.etm,
                hnp_allowed=example.coverage.hnp_allowed,
                overrun_allowed=example.coverage.overrun_allowed,
                claim=example.claim,
            )
            envelope = Envelope.wrap(event, source="tests", subject=reference)
            await producer.send_and_wait(topic, envelope.model_dump_json().encode(), key=reference.encode())
    finally:
        await producer.stop()


async def priced_events(
    bootstrap: str, references: Iterable[str], key: Callable[[Envelope], Any] = lambda e: e.subject
) -> dict[str, dict[str, Any]]:
    """The event of each reference (by default its subject), read from fse.tariff."""
    wanted = set(references)
    found: dict[str, dict[str, Any]] = {}
    async with assigned(bootstrap, topics.TARIFF) as (consumer, _partitions):

        async def all_found() -> bool:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    try:
                        envelope = Envelope.model_validate_json(record.value or b"")
                    except ValidationError:
                        continue  # the topic is shared: other tests publish garbage on purpose (fuzzing)
                    if key(envelope) in wanted:
                        found[key(envelope)] = envelope.data
            return wanted <= set(found)

        await eventually(all_found, timeout=60)
    return found
