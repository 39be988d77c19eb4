"""A practitioner applies, an operator activates (reading the applications a page at a time), the
practitioner enrols an authenticator, logs in, refreshes and logs out; deactivation ends every session."""

from __future__ import annotations

import pytest

from services.auth.adapters import repository
from tests.auth.conftest import PASSWORD, Auth, Authenticator, bearer, oathtool, secret_of
from tests.helpers import sqlite_plan

pytestmark = pytest.mark.broker

APPLICATION = {
    "login": "dr.durand",
    "password": PASSWORD,
    "profession": "medecin",
    "last_name": "Durand",
    "first_name": "Claire",
    "email": "claire.durand@example.org",
    "phones": ["+377 93 00 00 00"],
    "rpps": "10003456786",
}


async def apply_and_activate(auth: Auth) -> str:
    applied = await auth.client.post("/auth/applications", json=APPLICATION)
    assert applied.status_code == 201, applied.text
    practitioner_id = applied.json()["practitioner_id"]
    operator = await auth.log_in(await auth.create_user("operator"))
    assert (await auth.password_step("dr.durand")).status_code == 401  # pending
    listed = await auth.client.get("/auth/applications", headers=bearer(operator))
    assert [a["id"] for a in listed.json()] == [practitioner_id]
    activated = await auth.client.post(
        f"/auth/practitioners/{practitioner_id}/activation", headers=bearer(operator)
    )
    assert activated.status_code == 204, activated.text
    return str(practitioner_id)


async def enrol(auth: Auth, login: str) -> str:
    first = await auth.password_step(login)
    assert first.json()["next_step"] == "enrol"
    handle = first.json()["mfa_token"]
    enrolment = await auth.client.post("/auth/enrolment", json={"mfa_token": handle})
    assert enrolment.status_code == 200
    assert enrolment.headers["cache-control"] == "no-store"
    body = enrolment.json()
    assert body["qr_svg"].startswith("<svg")
    assert body["qr_png_base64"].startswith("iVBOR")
    authenticator = Authenticator(secret_of(body["otpauth_uri"]))
    auth.authenticators[login] = authenticator
    confirmed = await auth.client.post(
        "/auth/login/totp", json={"mfa_token": handle, "code": authenticator.code()}
    )
    assert confirmed.status_code == 200, confirmed.text
    again = await auth.password_step(login)
    assert again.json()["next_step"] == "totp"
    refused = await auth.client.post("/auth/enrolment", json={"mfa_token": again.json()["mfa_token"]})
    assert refused.status_code == 401  # never retrievable again
    return str(confirmed.json()["refresh_token"])


async def test_application_activation_enrolment_login_refresh_logout(auth: Auth) -> None:
    await apply_and_activate(auth)
    await enrol(auth, "dr.durand")
    tokens = await auth.log_in("dr.durand")
    me = await auth.client.get("/auth/me", headers=bearer(tokens))
    assert me.json()["role"] == "practitioner"
    refreshed = await auth.client.post("/auth/refresh", json={"refresh_token": tokens["refresh"]})
    assert refreshed.status_code == 200
    reused = await auth.client.post("/auth/refresh", json={"refresh_token": tokens["refresh"]})
    assert reused.status_code == 401  # a refresh token is single use
    new_access = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    assert (await auth.client.post("/auth/logout", headers=new_access)).status_code == 204
    assert (await auth.client.get("/auth/me", headers=new_access)).status_code == 401
    after = await auth.client.post("/auth/refresh", json={"refresh_token": refreshed.json()["refresh_token"]})
    assert after.status_code == 401


async def test_deactivation_ends_every_session_at_once(auth: Auth) -> None:
    practitioner_id = await apply_and_activate(auth)
    refresh = await enrol(auth, "dr.durand")
    tokens = await auth.log_in("dr.durand")
    operator = await auth.log_in(await auth.create_user("operator"))
    done = await auth.client.post(
        f"/auth/practitioners/{practitioner_id}/deactivation", headers=bearer(operator)
    )
    assert done.status_code == 204
    assert (await auth.client.get("/auth/me", headers=bearer(tokens))).status_code == 401
    assert (await auth.client.post("/auth/refresh", json={"refresh_token": refresh})).status_code == 401
    assert (await auth.password_step("dr.durand")).status_code == 401


@pytest.mark.parametrize(
    ("field", "value"),
    [("rpps", "10003456784"), ("rpps", "1000345678"), ("adeli", "751234567"), ("password", "short pass")],
)
async def test_invalid_applications_are_refused_naming_the_field(auth: Auth, field: str, value: str) -> None:
    refused = await auth.client.post("/auth/applications", json=APPLICATION | {field: value})
    assert refused.status_code == 422
    assert field in refused.text


async def test_operators_read_the_applications_a_page_at_a_time_oldest_first(auth: Auth) -> None:
    applied = []
    for n in range(3):
        response = await auth.client.post("/auth/applications", json=APPLICATION | {"login": f"dr.durand{n}"})
        assert response.status_code == 201, response.text
        applied.append(response.json()["practitioner_id"])
    await auth.create_user("practitioner")  # active: not an application
    operator = bearer(await auth.log_in(await auth.create_user("operator")))

    first = await auth.client.get("/auth/applications", params={"limit": 2}, headers=operator)
    rest = await auth.client.get("/auth/applications", params={"limit": 2, "offset": 2}, headers=operator)
    too_many = await auth.client.get("/auth/applications", params={"limit": 501}, headers=operator)
    assert [a["id"] for a in first.json()] == applied[:2]
    assert [a["id"] for a in rest.json()] == applied[2:]
    assert too_many.status_code == 422
    assert "limit" in too_many.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the query plan read is SQLite's
async def test_the_applications_are_read_through_an_index_in_its_order(auth: Auth, database_url: str) -> None:
    async with auth.runtime.sessions() as session:
        plan = await sqlite_plan(session, repository.PENDING_PRACTITIONERS, {"limit": 100, "offset": 0})

    assert any(
        "users USING INDEX ix_users_status_role_created_at (status=? AND role=?)" in p for p in plan
    ), plan
    assert not any("TEMP B-TREE" in line for line in plan), plan


async def test_an_unknown_login_and_a_wrong_password_get_the_same_answer(auth: Auth) -> None:
    login = await auth.create_user("practitioner")
    unknown = await auth.password_step("nobody.here")
    wrong = await auth.password_step(login, "not the right passphrase")
    assert (unknown.status_code, unknown.json()) == (wrong.status_code, wrong.json()) == (401, unknown.json())


async def test_oathtool_codes_work_end_to_end(auth: Auth) -> None:
    login = await auth.create_user("practitioner")
    first = await auth.password_step(login)
    from datetime import UTC, datetime

    code = oathtool(auth.authenticators[login].secret, datetime.now(UTC))
    second = await auth.client.post(
        "/auth/login/totp", json={"mfa_token": first.json()["mfa_token"], "code": code}
    )
    assert second.status_code == 200
