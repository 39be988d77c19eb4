"""Maintenance windows over HTTP: refused under 48 hours' notice, e-mailed to every active professional
when scheduled, changed or cancelled, and shown on the public status endpoint."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from runtime.keys import auth_private_key
from runtime.mailsink import MailSink
from runtime.security import Actor, Role, issue_token
from services.notifications.adapters.orm import practitioners
from tests.helpers import eventually
from tests.notifications import events
from tests.notifications.conftest import Harness

pytestmark = pytest.mark.broker

ACTIVE = {"dr.a@example.org", "dr.b@example.org", "ide.c@example.org"}


async def professionals_known(service: Harness) -> bool:
    async with service.runtime.sessions() as session:
        rows = list(await session.execute(select(practitioners)))
    return len(rows) == 4 and sum(row.active for row in rows) == 3


async def mails_with(sink: MailSink, subject: str, count: int) -> list[Any] | None:
    found = [m for m in sink.received if m.message["Subject"] == subject]
    return found if len(found) >= count else None


def window(hours_ahead: float, length_hours: float = 2) -> dict[str, str]:
    starts = datetime.now(UTC) + timedelta(hours=hours_ahead)
    return {
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=length_hours)).isoformat(),
        "reason": "Mise à jour du serveur",
    }


@pytest.fixture
async def professionals(service: Harness) -> Harness:
    for n, email in enumerate(sorted(ACTIVE)):
        await service.publish(events.activated(f"prt-{n}", email), f"prt-{n}")
    await service.publish(events.activated("prt-gone", "dr.gone@example.org"), "prt-gone")
    await service.publish(events.deactivated("prt-gone"), "prt-gone")
    await eventually(lambda: professionals_known(service))
    return service


async def test_a_window_47_hours_ahead_is_refused_and_one_49_hours_ahead_reaches_every_active_professional(
    professionals: Harness, mail_sink: MailSink
) -> None:
    service, operator = professionals, professionals.operator()
    assert service.client is not None

    refused = await service.client.post("/notifications/maintenance", json=window(47), headers=operator)

    assert refused.status_code == 422
    (error,) = refused.json()["errors"]
    assert error["field"] == "body.starts_at"
    assert "at least 48 hours ahead" in error["reason"]

    accepted = await service.client.post("/notifications/maintenance", json=window(49), headers=operator)

    assert accepted.status_code == 201, accepted.text
    window_id = accepted.json()["window_id"]
    mails = await eventually(lambda: mails_with(mail_sink, "Maintenance programmée du service FSE", 3))
    assert sorted(r for m in mails for r in m.recipients) == sorted(ACTIVE)
    assert "(heure de Monaco)" in mails[0].text()
    assert "de 7 h 30 à 22 h, 7 jours sur 7" in mails[0].text()
    published = await service.events(1)
    assert [(e.type, e.subject) for e in published if e.type.startswith("Maintenance")] == [
        ("MaintenanceScheduled", window_id)
    ]
    assert len(mail_sink.received) == 3  # nothing for the refused window


async def test_changes_and_cancellations_are_announced_and_the_status_is_public(
    professionals: Harness, mail_sink: MailSink
) -> None:
    service, operator = professionals, professionals.operator()
    assert service.client is not None
    window_id = (
        await service.client.post("/notifications/maintenance", json=window(60), headers=operator)
    ).json()["window_id"]

    status = (await service.client.get("/notifications/status")).json()  # no token: public

    assert [w["window_id"] for w in status["planned"]] == [window_id]
    assert status["current"] == []
    assert status["service_hours"] == {
        "opens": "07:30",
        "closes": "22:00",
        "days": "every day",
        "time_zone": "Europe/Monaco",
    }

    too_soon = await service.client.put(
        f"/notifications/maintenance/{window_id}", json=window(30), headers=operator
    )
    assert too_soon.status_code == 422
    moved = await service.client.put(
        f"/notifications/maintenance/{window_id}", json=window(72), headers=operator
    )
    assert moved.status_code == 200, moved.text
    await eventually(lambda: mails_with(mail_sink, "Maintenance du service FSE : nouvel horaire", 3))

    cancelled = await service.client.delete(f"/notifications/maintenance/{window_id}", headers=operator)
    assert cancelled.status_code == 200
    assert cancelled.json()["cancelled"] is True
    mails = await eventually(lambda: mails_with(mail_sink, "Maintenance du service FSE annulée", 3))
    assert sorted(r for m in mails for r in m.recipients) == sorted(ACTIVE)
    assert (await service.client.get("/notifications/status")).json()["planned"] == []
    again = await service.client.delete(f"/notifications/maintenance/{window_id}", headers=operator)
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "window_id"


async def test_only_operators_schedule_and_times_need_a_zone(service: Harness) -> None:
    assert service.client is not None
    practitioner = Actor("prt-1", Role.PRACTITIONER, "prt-1", uuid.uuid4().hex, int(time.time()) + 600)
    token = issue_token(auth_private_key(None, service.settings.data_dir), practitioner, 600)
    body = window(60)

    assert (await service.client.post("/notifications/maintenance", json=body)).status_code == 401
    forbidden = await service.client.post(
        "/notifications/maintenance", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert forbidden.status_code == 403
    naive = {**body, "starts_at": body["starts_at"][:19]}
    refused = await service.client.post("/notifications/maintenance", json=naive, headers=service.operator())
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.starts_at"
    unknown = await service.client.delete("/notifications/maintenance/nope", headers=service.operator())
    assert unknown.status_code == 404
