"""A code is accepted once, also under 20 simultaneous requests; failures are throttled per account
without revealing whether the account exists."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from services.auth.adapters.orm import users
from services.auth.domain.throttle import FREE_ATTEMPTS
from tests.auth.conftest import PASSWORD, Auth

pytestmark = pytest.mark.broker


async def test_twenty_simultaneous_requests_with_one_valid_code_give_one_session(auth: Auth) -> None:
    login = await auth.create_user("practitioner")
    handles = [(await auth.password_step(login)).json()["mfa_token"] for _ in range(20)]
    code = auth.authenticators[login].code()
    answers = await asyncio.gather(
        *(auth.client.post("/auth/login/totp", json={"mfa_token": h, "code": code}) for h in handles)
    )
    assert sorted(a.status_code for a in answers) == [200] + [401] * 19
    assert len({a.json()["detail"] for a in answers if a.status_code == 401}) == 1


async def test_twenty_simultaneous_uses_of_one_pending_session_give_one_session(auth: Auth) -> None:
    login = await auth.create_user("practitioner")
    handle = (await auth.password_step(login)).json()["mfa_token"]
    code = auth.authenticators[login].code()
    answers = await asyncio.gather(
        *(auth.client.post("/auth/login/totp", json={"mfa_token": handle, "code": code}) for _ in range(20))
    )
    assert sorted(a.status_code for a in answers) == [200] + [401] * 19


async def test_a_replay_is_refused_like_a_wrong_code_and_audited(
    auth: Auth, caplog: pytest.LogCaptureFixture
) -> None:
    login = await auth.create_user("practitioner")
    code = auth.authenticators[login].code()
    first = await auth.password_step(login)
    ok = await auth.client.post(
        "/auth/login/totp", json={"mfa_token": first.json()["mfa_token"], "code": code}
    )
    second = await auth.password_step(login)
    with caplog.at_level(logging.INFO, logger="fse.audit"):
        replay = await auth.client.post(
            "/auth/login/totp", json={"mfa_token": second.json()["mfa_token"], "code": code}
        )
    wrong = await auth.client.post(
        "/auth/login/totp", json={"mfa_token": second.json()["mfa_token"], "code": "000000"}
    )
    assert ok.status_code == 200
    assert (replay.status_code, replay.json()) == (wrong.status_code, wrong.json())
    assert "reason=replay" in caplog.text
    assert code not in caplog.text


async def test_failures_lead_to_backoff_with_the_same_answer_and_success_resets(auth: Auth) -> None:
    login = await auth.create_user("practitioner")
    for _ in range(FREE_ATTEMPTS):
        assert (await auth.password_step(login, "wrong passphrase here")).status_code == 401
    throttled = await auth.password_step(login)  # the right password, but within the backoff
    unknown = await auth.password_step("nobody.at.all")
    assert (throttled.status_code, throttled.json()) == (unknown.status_code, unknown.json())
    async with auth.runtime.uow() as unit:
        row = (await unit.session.execute(select(users).where(users.c.login == login))).one()
        assert row.failed_attempts == FREE_ATTEMPTS
        assert row.next_attempt_at > datetime.now(UTC)
        await unit.session.execute(users.update().where(users.c.login == login).values(next_attempt_at=None))
    await auth.log_in(login, PASSWORD)
    async with auth.runtime.uow() as unit:
        row = (await unit.session.execute(select(users).where(users.c.login == login))).one()
        assert row.failed_attempts == 0


async def test_wrong_codes_count_towards_the_same_throttle(auth: Auth) -> None:
    login = await auth.create_user("practitioner")
    handle = (await auth.password_step(login)).json()["mfa_token"]
    for _ in range(FREE_ATTEMPTS):
        refused = await auth.client.post("/auth/login/totp", json={"mfa_token": handle, "code": "000000"})
        assert refused.status_code == 401
    good = await auth.client.post(
        "/auth/login/totp", json={"mfa_token": handle, "code": auth.authenticators[login].code()}
    )
    assert good.status_code == 401  # throttled: even the right code waits


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize(
    "mangle",
    [int, lambda c: c.translate(FULL_WIDTH), lambda c: c[:5], lambda c: c + "0", lambda c: f" {c}"],
    ids=["int", "full-width", "short", "long", "space"],
)
async def test_codes_are_six_ascii_digits_in_a_string(auth: Auth, mangle: Callable[[str], object]) -> None:
    login = await auth.create_user("practitioner")
    handle = (await auth.password_step(login)).json()["mfa_token"]
    code = auth.authenticators[login].code()
    refused = await auth.client.post("/auth/login/totp", json={"mfa_token": handle, "code": mangle(code)})
    assert refused.status_code in (401, 422)
    accepted = await auth.client.post("/auth/login/totp", json={"mfa_token": handle, "code": code})
    assert accepted.status_code == 200
