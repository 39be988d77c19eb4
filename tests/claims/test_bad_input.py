"""Bad input of every kind over HTTP: a 4xx naming the field and the reason, never echoing the input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.claims.conftest import Claims, claim_body


def with_act(**change: Any) -> dict[str, Any]:
    body = claim_body()
    body["acts"][0].update(change)
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (with_act(fee="-12.00"), "body.acts.0.fee"),
        (with_act(coefficient="abc"), "body.acts.0.coefficient"),
        (with_act(date_of_care="2026-02-30"), "body.acts.0.date_of_care"),
        (with_act(date_of_care="31/12/2026"), "body.acts.0.date_of_care"),
        (with_act(nomenclature="LPP"), "body.acts.0.nomenclature"),
        (with_act(code="g; drop"), "body.acts.0.code"),
        ({**claim_body(), "profession": "sorcier"}, "body.profession"),
        ({**claim_body(), "hnp": "maybe"}, "body.hnp"),
        ({**claim_body(), "matricule": 100001}, "body.matricule"),
        ({**claim_body(), "acts": []}, "body.acts"),
        ({**claim_body(), "surprise": 1}, "body.surprise"),
        ({**claim_body(), "acts": [claim_body()["acts"][0]] * 51}, "body.acts"),
    ],
)
async def test_an_invalid_claim_is_refused_naming_the_field(
    claims: Claims, body: dict[str, Any], field: str
) -> None:
    response = await claims.client.post("/claims", json=body, headers=claims.headers())

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert field in {e["field"] for e in errors}
    assert all(e["reason"] for e in errors)
    assert "drop" not in response.text
    assert "sorcier" not in response.text


async def test_malformed_json_is_refused(claims: Claims) -> None:
    response = await claims.client.post(
        "/claims",
        content=b'{"fund": "CCSS",',
        headers={**claims.headers(), "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].startswith("body")


async def test_a_huge_payload_is_refused_before_it_is_read(claims: Claims) -> None:
    response = await claims.client.post(
        "/claims", content=b"[" + b"1," * 600_000 + b"1]", headers=claims.headers()
    )
    assert response.status_code == 413
    assert response.json()["errors"] == [{"field": "body", "reason": "larger than 1048576 bytes"}]


async def test_no_token_and_a_bad_token_are_refused(claims: Claims) -> None:
    assert (await claims.client.post("/claims", json=claim_body())).status_code == 401
    bad = await claims.client.post("/claims", json=claim_body(), headers={"Authorization": "Bearer x.y.z"})
    assert bad.status_code == 401


async def test_an_unknown_reference_is_not_found(claims: Claims) -> None:
    response = await claims.client.get("/claims/FSE-20260101-0000000000", headers=claims.headers())
    assert response.status_code == 404
    assert response.json()["detail"].startswith("reference:")
