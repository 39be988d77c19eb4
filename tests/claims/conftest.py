"""The claims service's own app over a real database (SQLite and PostgreSQL), without its broker:
what it would publish stays readable in its outbox, and stream handlers are called with a real unit."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from runtime import db
from runtime.keys import auth_private_key
from runtime.security import Actor, Role, issue_token
from runtime.service import Runtime, build_app
from services.claims.adapters.orm import messaging
from services.claims.bootstrap import definition
from services.claims.domain.deadlines import MONACO
from services.claims.settings import Settings


@dataclass
class Claims:
    client: httpx.AsyncClient
    runtime: Runtime
    data_dir: Path

    def token(
        self, practitioner_id: str = "prt-1", user_id: str | None = None, role: Role = Role.PRACTITIONER
    ) -> str:
        actor = Actor(
            user_id=user_id or practitioner_id,
            role=role,
            practitioner_id=practitioner_id if role in {Role.PRACTITIONER, Role.ASSISTANT} else None,
            session_id=uuid.uuid4().hex,
            expires_at=0,
        )
        return issue_token(auth_private_key(None, self.data_dir), actor, 300)

    def headers(self, practitioner_id: str = "prt-1", **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(practitioner_id, **kwargs)}"}

    async def outbox(self, event_type: str | None = None) -> list[dict[str, Any]]:
        async with self.runtime.sessions() as session:
            rows = (await session.execute(select(messaging.outbox).order_by(messaging.outbox.c.id))).all()
        events = [json.loads(row.body) for row in rows]
        return [e for e in events if event_type is None or e["type"] == event_type]


@pytest.fixture
async def claims(database_url: str, data_dir: Path) -> AsyncIterator[Claims]:
    settings = Settings(database_url=database_url, data_dir=data_dir, kafka_bootstrap_servers="127.0.0.1:9")
    service = definition(settings)
    app = build_app(service)
    runtime: Runtime = app.state.runtime
    await db.migrate(runtime.engine, service.migrations, service.metadata)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://claims") as client:
        yield Claims(client, runtime, data_dir)
    await runtime.engine.dispose()


def claim_body(day: date | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "submission_id": f"test-{uuid.uuid4()}",
        "fund": "CCSS",
        "matricule": "100001",
        "code_fse": "A1B2C3",
        "profession": "medecin",
        "acts": [
            {
                "nomenclature": "NGAP",
                "code": "G",
                "coefficient": "1",
                "date_of_care": (day or datetime.now(MONACO).date()).isoformat(),
            }
        ],
        **extra,
    }
