"""Favourite acts, basket and named pre-coded FSEs over HTTP, owned per practitioner."""

from __future__ import annotations

import pytest

from runtime.security import Role
from tests.tariff.conftest import Service

pytestmark = pytest.mark.broker

G = {"nomenclature": "NGAP", "code": "G", "coefficient": "1"}
ECG = {"nomenclature": "CCAM", "code": "DEQP003", "activity": 1, "phase": 0}


async def test_favourites_and_basket_belong_to_one_practitioner(service: Service) -> None:
    doctor_a, doctor_b = (
        service.token("dr-a", practitioner="dr-a"),
        service.token("dr-b", practitioner="dr-b"),
    )
    assistant_a = service.token("as-1", Role.ASSISTANT, "dr-a")
    client = service.client

    created = await client.post("/tariff/favourites", json={"act": G}, headers=assistant_a)
    assert created.status_code == 201
    favourite = created.json()["id"]
    assert [f["act"]["code"] for f in (await client.get("/tariff/favourites", headers=doctor_a)).json()] == [
        "G"
    ]
    assert (await client.get("/tariff/favourites", headers=doctor_b)).json() == []
    assert (await client.delete(f"/tariff/favourites/{favourite}", headers=doctor_b)).status_code == 404
    assert (await client.delete(f"/tariff/favourites/{favourite}", headers=doctor_a)).status_code == 204
    assert (await client.get("/tariff/favourites", headers=doctor_a)).json() == []

    assert (await client.put("/tariff/basket", json={"acts": [G, ECG]}, headers=doctor_a)).status_code == 200
    assert (await client.put("/tariff/basket", json={"acts": [ECG]}, headers=doctor_b)).status_code == 200
    basket_a = (await client.get("/tariff/basket", headers=assistant_a)).json()["acts"]
    assert [a["code"] for a in basket_a] == ["G", "DEQP003"]
    assert [a["code"] for a in (await client.get("/tariff/basket", headers=doctor_b)).json()["acts"]] == [
        "DEQP003"
    ]
    assert (await client.delete("/tariff/basket", headers=doctor_a)).status_code == 204
    assert (await client.get("/tariff/basket", headers=doctor_a)).json() == {"acts": []}

    operator = service.token("op-1", Role.OPERATOR, None)
    assert (await client.get("/tariff/favourites", headers=operator)).status_code == 403
    bad = await client.post("/tariff/favourites", json={"act": {**G, "code": "g!"}}, headers=doctor_a)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.act.code"


async def test_named_pre_coded_fses_are_created_listed_used_and_deleted(service: Service) -> None:
    doctor_a, doctor_b = (
        service.token("dr-a", practitioner="dr-a"),
        service.token("dr-b", practitioner="dr-b"),
    )
    client = service.client
    body = {"name": "Consultation + ECG", "acts": [G, ECG]}

    created = await client.post("/tariff/templates", json=body, headers=doctor_a)
    assert created.status_code == 201
    identifier = created.json()["id"]
    assert (await client.post("/tariff/templates", json=body, headers=doctor_a)).status_code == 409
    assert (await client.post("/tariff/templates", json=body, headers=doctor_b)).status_code == 201

    listed = (await client.get("/tariff/templates", headers=doctor_a)).json()
    assert [(t["id"], t["name"]) for t in listed] == [(identifier, "Consultation + ECG")]
    assert (await client.get(f"/tariff/templates/{identifier}", headers=doctor_b)).status_code == 404

    used = await client.post(f"/tariff/templates/{identifier}/use", json={"date_of_care": "2026-03-02"},
                             headers=doctor_a)  # fmt: skip
    assert used.status_code == 200
    acts = used.json()["acts"]
    assert [(a["code"], a["date_of_care"]) for a in acts] == [("G", "2026-03-02"), ("DEQP003", "2026-03-02")]
    stolen = await client.post(f"/tariff/templates/{identifier}/use", json={"date_of_care": "2026-03-02"},
                               headers=doctor_b)  # fmt: skip
    assert stolen.status_code == 404

    assert (await client.delete(f"/tariff/templates/{identifier}", headers=doctor_b)).status_code == 404
    assert (await client.delete(f"/tariff/templates/{identifier}", headers=doctor_a)).status_code == 204
    assert (await client.get("/tariff/templates", headers=doctor_a)).json() == []
    assert len((await client.get("/tariff/templates", headers=doctor_b)).json()) == 1
