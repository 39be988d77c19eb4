"""Audit events reach fse.auth through the outbox and carry no secret; any service learns revocations
from the stream (runtime.revocations) and then refuses the revoked tokens locally."""

from __future__ import annotations

import contextlib
import json
import logging

import pytest
from prometheus_client import CollectorRegistry

from contracts.topics import AUTH
from runtime import revocations
from runtime.broker import make_broker
from runtime.security import InvalidTokenError, Revocations, TokenVerifier
from runtime.settings import ServiceSettings
from tests.auth.conftest import PASSWORD, Auth, bearer
from tests.helpers import eventually, read_to_end

pytestmark = pytest.mark.broker


async def events_about(bootstrap: str, user_id: str) -> list[dict[str, object]]:
    records = await read_to_end(bootstrap, AUTH)
    envelopes = []
    for record in records:  # the topic is shared with the fuzz test, whose garbage is skipped
        with contextlib.suppress(ValueError):
            envelopes.append(json.loads(record.value))
    return [e for e in envelopes if isinstance(e, dict) and e.get("subject") == user_id]


async def test_every_decision_is_an_event_and_a_log_line_without_secrets(
    auth: Auth, kafka_bootstrap: str, caplog: pytest.LogCaptureFixture
) -> None:
    login = await auth.create_user("practitioner")
    with caplog.at_level(logging.INFO, logger="fse.audit"):
        await auth.password_step(login, "wrong passphrase\nFAKE audit line")
        tokens = await auth.log_in(login)
        user_id = (await auth.client.get("/auth/me", headers=bearer(tokens))).json()["user_id"]
        await auth.client.post("/auth/logout", headers=bearer(tokens))

    async def all_recorded() -> list[str] | None:
        types = [str(e["type"]) for e in await events_about(kafka_bootstrap, user_id)]
        wanted = {"AuthenticationFailed", "AuthenticationSucceeded", "SessionsRevoked", "LoggedOut"}
        return types if wanted <= set(types) else None

    await eventually(all_recorded)
    published = json.dumps(await events_about(kafka_bootstrap, user_id))
    for secret in (
        PASSWORD,
        auth.authenticators[login].secret,
        tokens["refresh"],
        tokens["Authorization"][7:],
    ):
        assert secret not in published
        assert secret not in caplog.text
    assert "FAKE audit line" not in published
    lines = [r.getMessage() for r in caplog.records]
    assert any(
        line.startswith("audit AuthenticationFailed") and f"user_id={user_id}" in line for line in lines
    )
    assert all("at=20" in line for line in lines)


async def test_another_service_learns_a_logout_and_refuses_the_token(
    auth: Auth, kafka_bootstrap: str
) -> None:
    settings = ServiceSettings(service_name="probe", kafka_bootstrap_servers=kafka_bootstrap)
    broker = make_broker(settings, CollectorRegistry())
    learnt = Revocations()
    revocations.listen(broker, learnt, "probe", wait_ms=10)
    verifier = TokenVerifier(auth.runtime.settings.resolved_auth_public_key(), learnt)
    await broker.start()
    try:
        tokens = await auth.log_in(await auth.create_user("practitioner"))
        token = tokens["Authorization"][7:]
        actor = verifier.verify(token)
        assert (await auth.client.post("/auth/logout", headers=bearer(tokens))).status_code == 204

        async def refused() -> bool:
            return actor.session_id in learnt.sessions

        await eventually(refused)
        with pytest.raises(InvalidTokenError, match="revoked"):
            verifier.verify(token)
    finally:
        await broker.stop()
