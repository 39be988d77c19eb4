"""The three forms: identification rules, the medical part encrypted and for the medical adviser only,
the employer's PDF without medical information, the event for the back office, the history."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from runtime.security import Role
from services.claims.adapters.orm import forms
from tests.claims.conftest import Claims

DIAGNOSIS = "Lombalgie aigue sur hernie discale L5-S1"
JUSTIFICATION = "Repos strict, port de charges contre-indique"


def sick_leave(**patient: Any) -> dict[str, Any]:
    return {
        "submission_id": f"form-{uuid.uuid4()}",
        "patient": {"fund": "CCSS", "matricule": "100001", "code_fse": "A1B2C3", **patient},
        "contact": {"phone": "+377 93 15 00 00", "address": "12 boulevard des Moulins, Monaco"},
        "work": {
            "start_date": "2026-07-01",
            "end_date": "2026-07-10",
            "exits_allowed": True,
            "exit_hours": "10h-12h",
        },
        "medical": {"diagnosis": DIAGNOSIS, "justification": JUSTIFICATION},
    }


def etm(**patient: Any) -> dict[str, Any]:
    return {
        "submission_id": f"form-{uuid.uuid4()}",
        "patient": {"fund": "CAMTI", "matricule": "200001", **patient},
        "requested_from": "2026-07-01",
        "medical": {
            "condition": "Diabete de type 1",
            "diagnosis": "Insulinodependance",
            "care_plan": "Suivi trimestriel",
        },
    }


async def test_a_sick_leave_prescription_gives_an_employer_copy_without_medical_information(
    claims: Claims,
) -> None:
    created = await claims.client.post(
        "/forms/sick-leave", json=sick_leave(), headers=claims.headers("prt-f")
    )
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]

    employer = await claims.client.get(f"/forms/{reference}/employer.pdf", headers=claims.headers("prt-f"))

    assert employer.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(employer.content)).pages)
    assert reference in text
    assert "01/07/2026" in text
    assert "10/07/2026" in text
    for medical in (DIAGNOSIS, JUSTIFICATION, "hernie", "Lombalgie", "charges"):
        assert medical not in text
    assert "93 15 00 00" not in text  # nor the patient's phone


async def test_the_medical_part_is_encrypted_and_for_the_medical_adviser_only(claims: Claims) -> None:
    created = await claims.client.post(
        "/forms/sick-leave", json=sick_leave(), headers=claims.headers("prt-f")
    )
    reference = created.json()["reference"]

    own = await claims.client.get(f"/forms/{reference}", headers=claims.headers("prt-f"))
    assert own.status_code == 200
    assert "medical" not in own.json()
    assert DIAGNOSIS not in own.text
    assert "code_fse" not in own.json()["patient"]
    refused = await claims.client.get(f"/forms/{reference}/medical", headers=claims.headers("prt-f"))
    assert refused.status_code == 403
    adviser = claims.headers("adv-1", role=Role.MEDICAL_ADVISER)
    medical = await claims.client.get(f"/forms/{reference}/medical", headers=adviser)
    assert medical.json()["medical"]["diagnosis"] == DIAGNOSIS
    async with claims.runtime.engine.connect() as connection:
        raw = (
            await connection.execute(select(forms.c.medical).where(forms.c.reference == reference))
        ).scalar_one()
    assert DIAGNOSIS.encode() not in raw
    other = await claims.client.get(f"/forms/{reference}", headers=claims.headers("prt-g"))
    assert other.status_code == 404


async def test_each_form_is_an_event_for_the_back_office_and_listed(claims: Claims) -> None:
    headers = claims.headers("prt-l")
    body = sick_leave()
    assert (await claims.client.post("/forms/sick-leave", json=body, headers=headers)).status_code == 201
    assert (await claims.client.post("/forms/sick-leave", json=body, headers=headers)).status_code == 201
    assert (
        await claims.client.post("/forms/etm", json=etm(birth_date="1970-05-04"), headers=headers)
    ).status_code == 201
    invalidity = {
        "submission_id": f"form-{uuid.uuid4()}",
        "patient": {"fund": "CCSS", "matricule": "100001", "code_fse": "A1B2C3"},
        "incapacity_since": "2026-01-01",
        "medical": {"diagnosis": "Sclerose", "impairment": "Marche limitee", "work_capacity_percent": 30},
    }
    assert (
        await claims.client.post("/forms/invalidity", json=invalidity, headers=headers)
    ).status_code == 201

    listed = (await claims.client.get("/forms", headers=headers)).json()
    assert sorted(f["kind"] for f in listed) == ["etm", "invalidity", "sick-leave"]
    only_etm = (await claims.client.get("/forms", params={"kind": "etm"}, headers=headers)).json()
    assert [f["kind"] for f in only_etm] == ["etm"]
    types = sorted(e["type"] for e in await claims.outbox() if e["data"].get("practitioner_id") == "prt-l")
    assert types == ["EtmRequested", "InvalidityAdmissionRequested", "SickLeavePrescribed"]
    body["work"]["end_date"] = "2026-07-11"
    assert (await claims.client.post("/forms/sick-leave", json=body, headers=headers)).status_code == 409


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/forms/sick-leave", sick_leave(code_fse=None, birth_date="1970-01-01"), "body"),
        ("/forms/etm", etm(), "body.patient"),
        (
            "/forms/sick-leave",
            {**sick_leave(), "work": {"start_date": "2026-07-10", "end_date": "2026-07-01"}},
            "body.work",
        ),
        (
            "/forms/sick-leave",
            {**sick_leave(), "work": {"start_date": "2026-02-30", "end_date": "2026-03-01"}},
            "body.work.start_date",
        ),
        (
            "/forms/invalidity",
            {"submission_id": "form-12345678", "patient": {"fund": "XX"}},
            "body.patient.fund",
        ),
    ],
)
async def test_bad_forms_are_refused_naming_the_field(
    claims: Claims, path: str, body: dict[str, Any], field: str
) -> None:
    response = await claims.client.post(path, json=body, headers=claims.headers("prt-f"))
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}


async def test_only_a_sick_leave_has_an_employer_copy(claims: Claims) -> None:
    reference = (
        await claims.client.post("/forms/etm", json=etm(code_fse="G7H8J9"), headers=claims.headers("prt-f"))
    ).json()["reference"]
    response = await claims.client.get(f"/forms/{reference}/employer.pdf", headers=claims.headers("prt-f"))
    assert response.status_code == 409
