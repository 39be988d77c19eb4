"""The update path: a new table version published as an event, applied once, pricing claims from its
effective date while older claims keep their prices."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from contracts.common import Nomenclature
from contracts.envelope import Envelope
from contracts.tariff import NgapKeyValue, NomenclatureVersionPublishedV1
from runtime.security import Role
from runtime.service import Runtime
from services.tariff.service_layer.catalogue import load_catalogue, on_version_published
from services.tariff.service_layer.state import TariffState
from tests.helpers import eventually
from tests.tariff.conftest import Service
from tests.tariff.examples import CCSS, MED, VERTE, Example, claim, cover, ngap
from tests.tariff.test_service import preview_body, priced_events

pytestmark = pytest.mark.broker


def new_version(g_value: str, effective: date = date(2026, 7, 1)) -> NomenclatureVersionPublishedV1:
    return NomenclatureVersionPublishedV1(
        version=f"NGAP-TEST-{uuid.uuid4().hex[:8]}",
        nomenclature=Nomenclature.NGAP,
        effective_from=effective,
        source="test: a revaluation of G",
        based_on="NGAP-FR-2024-12-22",
        ngap_keys=[
            NgapKeyValue(
                key="G",
                label="Consultation",
                value=g_value,
                professions=["medecin"],
                confidence="UNCERTAIN",
                source="test",
            )
        ],
    )


async def preview_g(service: Service, day: date) -> dict[str, Any]:
    example = Example("G", (), claim(CCSS, MED, ngap("G", day=day)), cover(VERTE), "")
    response = await service.client.post(
        "/tariff/preview", json=preview_body(example), headers=service.token()
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_published_version_applies_from_its_date_once(service: Service, kafka_bootstrap: str) -> None:
    runtime: Runtime = service.app.state.runtime
    other_instance = TariffState(service_state(service).rules)
    await load_catalogue(runtime.uow, runtime.sessions, other_instance)  # started before the publication
    version = new_version("31.50")
    conflicting = version.model_copy(update={"source": "test: other content under the same name"})
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for event in (version, version, conflicting):
            envelope = Envelope.wrap(event, source="tests", subject=event.version)
            await producer.send_and_wait(
                service.settings.nomenclature_topic, envelope.model_dump_json().encode()
            )
    finally:
        await producer.stop()

    async def refused_once() -> bool:
        return sum(c.dead_lettered for c in runtime.consumers) == 1

    await eventually(refused_once)
    listed = (await service.client.get("/tariff/nomenclature/versions", headers=service.token())).json()
    assert [v["version"] for v in listed].count(version.version) == 1

    before, after = await preview_g(service, date(2026, 6, 30)), await preview_g(service, date(2026, 7, 1))
    assert (before["total_base"], after["total_base"]) == ("30.00", "31.50")
    assert before["tariff_version"] == "NGAP-FR-2024-12-22"
    assert after["tariff_version"] == version.version
    assert after["lines"][0]["confidence"] == "UNCERTAIN"

    assert other_instance.catalogue.get(version.version) is None
    async with runtime.uow() as unit:  # the other instance receives the event the first one stored
        await on_version_published(
            other_instance, unit, Envelope.wrap(version, source="t", subject="s"), version
        )
    assert other_instance.catalogue.get(version.version) is not None


def service_state(service: Service) -> TariffState:
    state: TariffState = service.app.state.runtime.extras["tariff"]
    return state


async def test_only_an_operator_publishes_a_version_and_acts_are_looked_up_by_date(
    service: Service, kafka_bootstrap: str
) -> None:
    operator = service.token("op-1", Role.OPERATOR, None)
    far = new_version("32.00", effective=date(2099, 1, 1))
    body = far.model_dump(mode="json")
    url = "/tariff/nomenclature/versions"
    assert (await service.client.post(url, json=body, headers=service.token())).status_code == 403
    assert (await service.client.post(url, json=body, headers=operator)).status_code == 202
    published = await priced_events(kafka_bootstrap, {far.version}, key=lambda e: e.data.get("version"))
    assert published[far.version]["effective_from"] == "2099-01-01"
    duplicate = {**body, "version": "CCAM-v81"}
    refused = await service.client.post(url, json=duplicate, headers=operator)
    assert (refused.status_code, refused.json()["detail"]["errors"][0]["field"]) == (422, "version")
    orphan = {**body, "version": "NGAP-ORPHAN-1", "based_on": "NGAP-NONE"}
    refused = await service.client.post(url, json=orphan, headers=operator)
    assert (refused.status_code, refused.json()["detail"]["errors"][0]["field"]) == (422, "based_on")

    # anyone signed in looks an act up in the table in force on a date
    found = await service.client.get("/tariff/nomenclature/CCAM/HFFC018", params={"on": "2026-03-02"},
                                     headers=service.token())  # fmt: skip
    assert found.status_code == 200
    body = found.json()
    assert (body["value"], body["prior_approval"], body["tariff_version"]) == ("532.82", True, "CCAM-v81")
    assert [a[0] for a in body["activities"]] == [1, 4]
    missing = await service.client.get("/tariff/nomenclature/CCAM/HFFC018", params={"on": "2025-03-02"},
                                       headers=service.token())  # fmt: skip
    assert missing.status_code == 404
