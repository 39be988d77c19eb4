"""The whole system started once for the end-to-end tests, as `make run` starts it, on the test broker."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from runtime.system import System
from services.claims.domain.deletion import why_not_deletable
from services.claims.domain.model import Status


@pytest.fixture(scope="session")
def system(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    running = System.on_free_ports(
        tmp_path_factory.mktemp("system"),
        extra_env={"FSE_DEMO": "1", "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap},
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()


def authenticator_code(secret: str, ahead: timedelta = timedelta(0)) -> str:
    """A code from an independent TOTP implementation, as a phone app would show it (`ahead` of now: the
    next step's code, which auth still accepts, for a second login within the step of the first)."""
    oathtool = shutil.which("oathtool")
    assert oathtool, "oathtool is required (Debian package oathtool)"
    now = (datetime.now(UTC) + ahead).strftime("%Y-%m-%d %H:%M:%S UTC")
    return subprocess.run(
        [oathtool, "--totp", "-b", "--now", now, secret], check=True, capture_output=True, text=True
    ).stdout.strip()


def demo_secret(data_dir: Path, login: str) -> str:
    text = (data_dir / "demo" / "auth.txt").read_text()
    match = re.search(rf"^{re.escape(login)}\s+\S+\s+TOTP secret (\S+)", text, re.MULTILINE)
    assert match, f"no demo secret for {login}"
    return match.group(1)


def log_in(system: System, login: str) -> dict[str, str]:
    with httpx.Client(base_url=system.url("auth")) as client:
        first = client.post("/auth/login", json={"login": login, "password": "demo correct horse battery"})
        assert first.status_code == 200, first.text
        code = authenticator_code(demo_secret(system.data_dir, login))
        second = client.post("/auth/login/totp", json={"mfa_token": first.json()["mfa_token"], "code": code})
        assert second.status_code == 200, second.text
    return {"Authorization": f"Bearer {second.json()['access_token']}"}


@pytest.fixture(scope="session")
def doctor(system: System) -> dict[str, str]:
    return log_in(system, "dr.martin")


@pytest.fixture(scope="session")
def operator(system: System) -> dict[str, str]:
    return log_in(system, "ops.monaco")


def deletion_answers(received_at: str, before: datetime, after: datetime) -> set[str | None]:
    """What the same-day rule lets a running system answer to deleting a claim received at
    `received_at`, asked between `before` and `after`: None (deleted) or a refusal's code; two answers
    only when the request straddled 22:00 or midnight in Monaco."""
    received = datetime.fromisoformat(received_at)
    refusals = (why_not_deletable(received, Status.RECEIVED, moment) for moment in (before, after))
    return {refusal[0] if refusal else None for refusal in refusals}


def deletion_answer(response: httpx.Response) -> str | None:
    if response.status_code == 204:
        return None
    assert response.status_code == 409, response.text
    return str(response.json()["detail"]["code"])
