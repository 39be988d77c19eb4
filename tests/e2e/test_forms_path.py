"""A sick-leave prescription through the whole system: published on fse.forms for the back office, its
medical part readable by the demo medical adviser only, the employer's copy free of it."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from contracts import topics
from runtime.system import System
from tests.e2e.conftest import log_in
from tests.helpers import eventually, read_topic

pytestmark = pytest.mark.broker

DIAGNOSIS = "Entorse grave de la cheville droite"


async def test_a_sick_leave_prescription_reaches_the_back_office(
    system: System, doctor: dict[str, str]
) -> None:
    body = {
        "submission_id": f"e2e-form-{uuid.uuid4()}",
        "patient": {"fund": "CCSS", "matricule": "100001", "code_fse": "A1B2C3"},
        "contact": {"phone": "+377 93 00 00 00", "address": "1 avenue de la Costa, Monaco"},
        "work": {"start_date": "2026-11-02", "end_date": "2026-11-06"},
        "medical": {"diagnosis": DIAGNOSIS},
    }
    async with httpx.AsyncClient(base_url=system.url("claims")) as client:
        created = await client.post("/forms/sick-leave", json=body, headers=doctor)
        assert created.status_code == 201, created.text
        reference = created.json()["reference"]

        async def published() -> list[dict[str, Any]]:
            records = await read_topic(system.bootstrap_servers, topics.FORMS, 1, 2)
            return [e for e in (json.loads(r.value) for r in records) if e["subject"] == reference]

        [event] = await eventually(published)
        assert event["type"] == "SickLeavePrescribed"
        assert event["data"]["form"]["medical"]["diagnosis"] == DIAGNOSIS

        adviser = log_in(system, "mc.conseil")
        medical = await client.get(f"/forms/{reference}/medical", headers=adviser)
        assert medical.json()["medical"]["diagnosis"] == DIAGNOSIS
        assert (await client.get(f"/forms/{reference}/medical", headers=doctor)).status_code == 403
        employer = await client.get(f"/forms/{reference}/employer.pdf", headers=doctor)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(employer.content)).pages)
    assert "02/11/2026" in text
    assert DIAGNOSIS not in text
    assert "cheville" not in text
