"""Assistants: added by a practitioner with the first code of the assistant's own authenticator, acting
for that practitioner only between start and end dates; revocation acts on live sessions at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from services.auth.domain.sessions import MONACO
from services.auth.service_layer.login import complete_login, start_login
from tests.auth.conftest import PASSWORD, Auth, Authenticator, bearer, secret_of

pytestmark = pytest.mark.broker


def today() -> date:
    return datetime.now(MONACO).date()


async def add_assistant(auth: Auth, practitioner: dict[str, str], login: str, **dates: str) -> str:
    shown = await auth.client.post("/auth/assistants/enrolment", headers=bearer(practitioner))
    assert shown.status_code == 200, shown.text
    assert shown.headers["cache-control"] == "no-store"
    phone = Authenticator(secret_of(shown.json()["otpauth_uri"]))
    body = {
        "enrolment_id": shown.json()["enrolment_id"],
        "code": phone.code(),
        "login": login,
        "password": PASSWORD,
        "last_name": "Bianchi",
        "first_name": "Lucia",
        "start_date": dates.get("start_date", today().isoformat()),
    } | dates
    added = await auth.client.post("/auth/assistants", json=body, headers=bearer(practitioner))
    assert added.status_code == 201, added.text
    auth.authenticators[login] = phone
    return str(added.json()["assistant_id"])


async def test_a_practitioner_adds_lists_and_revokes_an_assistant(auth: Auth) -> None:
    doctor_login = await auth.create_user("practitioner")
    doctor = await auth.log_in(doctor_login)
    doctor_id = (await auth.client.get("/auth/me", headers=bearer(doctor))).json()["user_id"]
    assistant_id = await add_assistant(auth, doctor, "lucia.bianchi")
    assistant = await auth.log_in("lucia.bianchi")
    me = (await auth.client.get("/auth/me", headers=bearer(assistant))).json()
    assert me == {"user_id": assistant_id, "role": "assistant", "practitioner_id": doctor_id}
    listed = await auth.client.get("/auth/assistants", headers=bearer(doctor))
    assert [(a["id"], a["status"]) for a in listed.json()] == [(assistant_id, "active")]
    revoked = await auth.client.delete(f"/auth/assistants/{assistant_id}", headers=bearer(doctor))
    assert revoked.status_code == 204
    assert (await auth.client.get("/auth/me", headers=bearer(assistant))).status_code == 401
    assert (
        await auth.client.post("/auth/refresh", json={"refresh_token": assistant["refresh"]})
    ).status_code == 401
    assert (await auth.password_step("lucia.bianchi")).status_code == 401


async def test_a_wrong_first_code_adds_no_assistant(auth: Auth) -> None:
    doctor = await auth.log_in(await auth.create_user("practitioner"))
    shown = await auth.client.post("/auth/assistants/enrolment", headers=bearer(doctor))
    body = {
        "enrolment_id": shown.json()["enrolment_id"],
        "code": "１２３４５６",
        "login": "nobody.added",
        "password": PASSWORD,
        "last_name": "X",
        "first_name": "Y",
        "start_date": today().isoformat(),
    }
    refused = await auth.client.post("/auth/assistants", json=body, headers=bearer(doctor))
    assert refused.status_code == 422
    assert refused.json()["detail"]["errors"][0]["field"] == "code"


async def live_token_issued_on(auth: Auth, login: str, at: datetime) -> dict[str, str]:
    """A session opened at `at` (injected clock), as if the assistant had logged in then."""
    handle, _ = await start_login(auth.runtime.uow, login, PASSWORD, at)
    code = auth.authenticators[login].code(at)
    tokens = await complete_login(auth.runtime.uow, handle, code, at, auth.runtime.extras["issuer"])
    return {"Authorization": f"Bearer {tokens.access_token}", "refresh": tokens.refresh_token}


ENDPOINTS = [
    ("GET", "/auth/me"),
    ("GET", "/auth/assistants"),
    ("POST", "/auth/assistants/enrolment"),
    ("DELETE", "/auth/assistants/ast-missing"),
    ("GET", "/auth/applications"),
    ("POST", "/auth/practitioners/prt-missing/activation"),
]
ALL_401 = [401] * len(ENDPOINTS)
EXPECTED = {
    "practitioner": [200, 200, 200, 404, 403, 403],
    "assistant within validity": [200, 403, 403, 403, 403, 403],
    "assistant before start": ALL_401,
    "assistant after end, live session": ALL_401,
    "revoked assistant, live session": ALL_401,
    "assistant of another practitioner": [200, 403, 403, 403, 403, 403],
    "operator": [200, 403, 403, 403, 200, 409],
    "anonymous": ALL_401,
    "password factor only": ALL_401,
}


async def test_role_by_endpoint_matrix(auth: Auth) -> None:
    doctor_login = await auth.create_user("practitioner")
    doctor = await auth.log_in(doctor_login)
    doctor_id = (await auth.client.get("/auth/me", headers=bearer(doctor))).json()["user_id"]
    other_id = (
        await auth.client.get(
            "/auth/me", headers=bearer(await auth.log_in(await auth.create_user("practitioner")))
        )
    ).json()["user_id"]
    day = timedelta(days=1)
    within = await auth.create_user(
        "assistant", doctor_id, valid_from=today() - day, valid_until=today() + day
    )
    before = await auth.create_user("assistant", doctor_id, valid_from=today() + day)
    after = await auth.create_user(
        "assistant", doctor_id, valid_from=today() - 10 * day, valid_until=today() - 2 * day
    )
    revoked = await auth.create_user("assistant", doctor_id, valid_from=today())
    foreign = await auth.create_user("assistant", other_id, valid_from=today())
    revoked_tokens = await auth.log_in(revoked)
    assert (
        await auth.client.delete(
            f"/auth/assistants/{await _id(auth, revoked_tokens)}", headers=bearer(doctor)
        )
    ).status_code == 204
    assert (await auth.password_step(before)).status_code == 401
    last_day_evening = datetime.combine(today() - 2 * day, time(20), MONACO)
    pending = await auth.password_step(doctor_login)
    actors = {
        "practitioner": bearer(doctor),
        "assistant within validity": bearer(await auth.log_in(within)),
        "assistant before start": {},
        "assistant after end, live session": bearer(
            await live_token_issued_on(auth, after, last_day_evening)
        ),
        "revoked assistant, live session": bearer(revoked_tokens),
        "assistant of another practitioner": bearer(await auth.log_in(foreign)),
        "operator": bearer(await auth.log_in(await auth.create_user("operator"))),
        "anonymous": {},
        "password factor only": {"Authorization": f"Bearer {pending.json()['mfa_token']}"},
    }
    seen = {
        name: [
            (await auth.client.request(method, path, headers=headers)).status_code
            for method, path in ENDPOINTS
        ]
        for name, headers in actors.items()
    }
    assert seen == EXPECTED
    foreign_me = (
        await auth.client.get("/auth/me", headers=actors["assistant of another practitioner"])
    ).json()
    assert foreign_me["practitioner_id"] == other_id


async def _id(auth: Auth, tokens: dict[str, str]) -> str:
    return str((await auth.client.get("/auth/me", headers=bearer(tokens))).json()["user_id"])


async def test_an_assistant_token_never_outlives_the_last_day(auth: Auth) -> None:
    doctor_id = (
        await auth.client.get(
            "/auth/me", headers=bearer(await auth.log_in(await auth.create_user("practitioner")))
        )
    ).json()["user_id"]
    login = await auth.create_user(
        "assistant",
        doctor_id,
        valid_from=today() - timedelta(days=3),
        valid_until=today() - timedelta(days=1),
    )
    almost_midnight = datetime.combine(today(), time(0), MONACO) - timedelta(minutes=2)
    handle, _ = await start_login(auth.runtime.uow, login, PASSWORD, almost_midnight)
    code = auth.authenticators[login].code(almost_midnight)
    tokens = await complete_login(
        auth.runtime.uow, handle, code, almost_midnight, auth.runtime.extras["issuer"]
    )
    assert tokens.expires_in == 120
    assert almost_midnight.astimezone(UTC) + timedelta(seconds=tokens.expires_in) == datetime.combine(
        today(), time(0), MONACO
    )
