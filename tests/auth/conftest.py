"""The auth service in process (real database of each kind, real broker), and authenticator codes from
an independent implementation (oathtool)."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from runtime.service import Runtime, build_app
from services.auth.adapters.orm import users
from services.auth.bootstrap import definition
from services.auth.domain.passwords import hash_password
from services.auth.domain.totp import STEP_SECONDS, new_secret
from services.auth.settings import Settings

PASSWORD = "a long enough passphrase 42"
OATHTOOL = shutil.which("oathtool")


def oathtool(secret: str, at: datetime) -> str:
    assert OATHTOOL, "oathtool is required (Debian package oathtool)"
    stamp = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return subprocess.run(
        [OATHTOOL, "--totp", "-b", "--now", stamp, secret], check=True, capture_output=True, text=True
    ).stdout.strip()


def secret_of(uri: str) -> str:
    return parse_qs(urlparse(uri).query)["secret"][0]


@dataclass
class Authenticator:
    """A phone app: gives each code once, moving to the next time step within the accepted drift."""

    secret: str = field(default_factory=new_secret)
    used: int = -1

    def code(self, at: datetime | None = None) -> str:
        at = at or datetime.now(UTC)
        step = max(int(at.timestamp()) // STEP_SECONDS, self.used + 1)
        assert step <= int(at.timestamp()) // STEP_SECONDS + 1, "no fresh code left in the drift window"
        self.used = step
        return oathtool(self.secret, datetime.fromtimestamp(step * STEP_SECONDS, UTC))


@dataclass
class Auth:
    client: httpx.AsyncClient
    runtime: Runtime
    authenticators: dict[str, Authenticator] = field(default_factory=dict)

    async def create_user(self, role: str, practitioner_id: str | None = None, **values: object) -> str:
        user_id, login = f"{role[:3]}-{uuid.uuid4().hex[:8]}", f"{role}.{uuid.uuid4().hex[:8]}"
        authenticator = Authenticator()
        async with self.runtime.uow() as unit:
            row = {
                "id": user_id,
                "login": login,
                "password_hash": hash_password(PASSWORD),
                "role": role,
                "profession": "medecin" if role in ("practitioner", "assistant") else None,
                "practitioner_id": practitioner_id,
                "status": "active",
                "totp_secret": authenticator.secret,
                "totp_active": True,
                "created_at": datetime.now(UTC),
            }
            await unit.session.execute(users.insert().values(**(row | values)))
        self.authenticators[login] = authenticator
        return login

    async def password_step(self, login: str, password: str = PASSWORD) -> httpx.Response:
        return await self.client.post("/auth/login", json={"login": login, "password": password})

    async def log_in(self, login: str, password: str = PASSWORD) -> dict[str, str]:
        first = await self.password_step(login, password)
        assert first.status_code == 200, first.text
        code = self.authenticators[login].code()
        second = await self.client.post(
            "/auth/login/totp", json={"mfa_token": first.json()["mfa_token"], "code": code}
        )
        assert second.status_code == 200, second.text
        return {
            "Authorization": f"Bearer {second.json()['access_token']}",
            "refresh": second.json()["refresh_token"],
        }


def bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": tokens["Authorization"]}


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Auth]:
    app = build_app(definition(settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://auth") as client:
            yield Auth(client, app.state.runtime)


@pytest.fixture
async def auth(database_url: str, data_dir: Path, kafka_bootstrap: str) -> AsyncIterator[Auth]:
    settings = Settings(data_dir=data_dir, database_url=database_url, kafka_bootstrap_servers=kafka_bootstrap)
    async with running(settings) as service:
        yield service


def days(n: int) -> timedelta:
    return timedelta(days=n)
