"""Password change and reset: a reset needs an operator-issued one-time code AND a TOTP code (never
bypasses MFA), ends every session, and the code works once."""

from __future__ import annotations

import logging

import pytest

from services.auth.adapters.repository import user_by_login
from tests.auth.conftest import PASSWORD, Auth, bearer

pytestmark = pytest.mark.broker

NEW = "another long passphrase 7"


async def reset_code_for(auth: Auth, login: str) -> str:
    operator = await auth.log_in(await auth.create_user("operator"))
    async with auth.runtime.uow() as unit:
        user = await user_by_login(unit.session, login)
    assert user is not None
    issued = await auth.client.post(f"/auth/users/{user.id}/reset-code", headers=bearer(operator))
    assert issued.status_code == 200, issued.text
    assert issued.headers["cache-control"] == "no-store"
    return str(issued.json()["reset_code"])


async def test_a_reset_needs_the_operator_code_and_the_totp_code(
    auth: Auth, caplog: pytest.LogCaptureFixture
) -> None:
    login = await auth.create_user("practitioner")
    live = await auth.log_in(login)
    code = await reset_code_for(auth, login)
    body = {"login": login, "reset_code": code, "new_password": NEW}
    without_mfa = await auth.client.post("/auth/password/reset", json=body | {"code": "000000"})
    assert without_mfa.status_code == 401
    totp = auth.authenticators[login].code()
    wrong_reset = await auth.client.post(
        "/auth/password/reset", json=body | {"reset_code": "WRONG", "code": totp}
    )
    assert wrong_reset.status_code == 401
    done = await auth.client.post("/auth/password/reset", json=body | {"code": totp})
    assert done.status_code == 204, done.text
    assert (await auth.client.get("/auth/me", headers=bearer(live))).status_code == 401
    assert (await auth.password_step(login, PASSWORD)).status_code == 401
    assert (await auth.password_step(login, NEW)).status_code == 200
    # The reset code was single use: a second try is refused on it, before the TOTP code is looked at
    # (the audit names the failed factor: "credentials" for the reset code, "code" for the TOTP code).
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="fse.audit"):
        again = await auth.client.post("/auth/password/reset", json=body | {"code": "123456"})
    assert again.status_code == 401
    assert "step=reset reason=credentials" in caplog.text
    assert "step=reset reason=code" not in caplog.text


async def test_a_change_needs_the_current_password_and_follows_the_policy(auth: Auth) -> None:
    login = await auth.create_user("practitioner")
    tokens = bearer(await auth.log_in(login))
    wrong = await auth.client.post(
        "/auth/password", json={"current_password": "not it at all", "new_password": NEW}, headers=tokens
    )
    assert wrong.status_code == 401
    weak = await auth.client.post(
        "/auth/password", json={"current_password": PASSWORD, "new_password": "short"}, headers=tokens
    )
    assert weak.status_code == 422
    assert weak.json()["detail"]["errors"][0]["field"] == "password"
    done = await auth.client.post(
        "/auth/password", json={"current_password": PASSWORD, "new_password": NEW}, headers=tokens
    )
    assert done.status_code == 204
    assert (await auth.password_step(login, NEW)).status_code == 200
