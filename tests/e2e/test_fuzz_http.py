"""Bad input at scale on every HTTP operation (schemathesis, from each running service's /openapi.json):
random valid and invalid requests for every parameter and body, each sent with a real token of the role
the operation is for. No answer may be a 5xx; every answer must have a status the document declares,
with the declared media type and schema.

Bounded for CI: FSE_HTTP_FUZZ_EXAMPLES requests per operation (default 10), derandomized (the same
ones each run); FSE_HTTP_FUZZ_SEED=<n> draws others; FSE_HTTP_FUZZ_COVERAGE=1 adds schemathesis'
coverage phase first (the boundary and wrong-type values of every parameter and field, ~3,000 more
requests: about ten minutes on two busy cores)."""

from __future__ import annotations

import os
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from runtime.system import System
from services.auth.domain.identifiers import luhn_key
from services.auth.domain.sessions import MONACO
from tests.e2e.conftest import authenticator_code, demo_secret

pytestmark = pytest.mark.broker

EXAMPLES = int(os.environ.get("FSE_HTTP_FUZZ_EXAMPLES", "10"))
SEED = os.environ.get("FSE_HTTP_FUZZ_SEED")
COVERAGE = os.environ.get("FSE_HTTP_FUZZ_COVERAGE") == "1"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# auth, the service whose operations end sessions and accounts, goes last.
ORDER = ("eligibility", "tariff", "claims", "notifications", "auth")
DEMO_PASSWORD = "demo correct horse battery"
PASSWORD = "seven quiet herons cross the bay at dusk 1742"
REFRESH_AFTER = 120.0  # seconds; access tokens live 300
# A nomenclature published by the fuzzing is in force from this date only: never for today's claims.
FAR_FUTURE = "2999-01-01"
# The stream of every change to come never ends; the stream of one claim is fuzzed (unknown: 404).
NEVER_ENDS = "/claims/events"


@dataclass
class Session:
    """A signed-in user's access token, renewed with the refresh token before it expires."""

    auth_url: str
    access: str
    refresh: str
    role: str
    at: float = field(default_factory=time.monotonic)

    def headers(self) -> dict[str, str]:
        if time.monotonic() - self.at > REFRESH_AFTER:
            renewed = httpx.post(f"{self.auth_url}/auth/refresh", json={"refresh_token": self.refresh})
            if renewed.status_code == 200:  # a session the fuzzing ended (logout) stays ended
                self.access, self.refresh = renewed.json()["access_token"], renewed.json()["refresh_token"]
            self.at = time.monotonic()
        return {"Authorization": f"Bearer {self.access}"}


def sign_in(system: System, login: str, password: str, secret: str, role: str) -> Session:
    """Password, then the authenticator's code; the next step's code if this step's was used already."""
    with httpx.Client(base_url=system.url("auth")) as client:
        for ahead in (timedelta(0), timedelta(seconds=30)):
            first = client.post("/auth/login", json={"login": login, "password": password})
            assert first.status_code == 200, first.text
            code = authenticator_code(secret, ahead)
            step = {"mfa_token": first.json()["mfa_token"], "code": code}
            second = client.post("/auth/login/totp", json=step)
            if second.status_code == 200:
                tokens = second.json()
                return Session(system.url("auth"), tokens["access_token"], tokens["refresh_token"], role)
    raise AssertionError(f"{login} could not sign in: {second.text}")


def secret_of(otpauth_uri: str) -> str:
    match = re.search(r"secret=([A-Z2-7]+)", otpauth_uri)
    assert match, otpauth_uri
    return match.group(1)


def new_practitioner(system: System, operator: Session, login: str, serial: int) -> Session:
    """Applies, is activated by the operator, enrols an authenticator: a practitioner of its own."""
    rpps = f"1000999{serial:03d}"
    with httpx.Client(base_url=system.url("auth")) as client:
        applied = client.post(
            "/auth/applications",
            json={
                "login": login,
                "password": PASSWORD,
                "profession": "medecin",
                "last_name": "Fuzz",
                "first_name": login.split(".")[-1].title(),
                "email": f"{login}@example.org",
                "phones": ["+377 93 00 00 00"],
                "rpps": rpps + luhn_key(rpps),
            },
        )
        assert applied.status_code == 201, applied.text
        practitioner_id = applied.json()["practitioner_id"]
        activated = client.post(
            f"/auth/practitioners/{practitioner_id}/activation", headers=operator.headers()
        )
        assert activated.status_code == 204, activated.text
        first = client.post("/auth/login", json={"login": login, "password": PASSWORD})
        assert first.json()["next_step"] == "enrol", first.text
        handle = first.json()["mfa_token"]
        enrolment = client.post("/auth/enrolment", json={"mfa_token": handle})
        assert enrolment.status_code == 200, enrolment.text
        code = authenticator_code(secret_of(enrolment.json()["otpauth_uri"]))
        tokens = client.post("/auth/login/totp", json={"mfa_token": handle, "code": code})
        assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    return Session(system.url("auth"), body["access_token"], body["refresh_token"], "practitioner")


def new_assistant(system: System, practitioner: Session, login: str) -> Session:
    with httpx.Client(base_url=system.url("auth")) as client:
        shown = client.post("/auth/assistants/enrolment", headers=practitioner.headers())
        assert shown.status_code == 200, shown.text
        secret = secret_of(shown.json()["otpauth_uri"])
        added = client.post(
            "/auth/assistants",
            headers=practitioner.headers(),
            json={
                "enrolment_id": shown.json()["enrolment_id"],
                "code": authenticator_code(secret),
                "login": login,
                "password": PASSWORD,
                "last_name": "Fuzz",
                "first_name": "Assistant",
                "start_date": datetime.now(MONACO).date().isoformat(),
            },
        )
        assert added.status_code == 201, added.text
    return sign_in(system, login, PASSWORD, secret, "assistant")


@dataclass
class Accounts:
    """Who calls what. The fuzzing's own practitioner and assistant use the portal (their throttled
    lookups, their favourites, their claims); an account of its own logs out, another changes its
    password (each failure counts against it); the demo operator and medical adviser do their part.
    The demo practitioners that other tests use are never touched."""

    practitioner: Session
    assistant: Session
    operator: Session
    adviser: Session
    leaving: Session
    changing: Session
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def callers(self, method: str, path: str, security: list[dict[str, list[str]]]) -> tuple[Session, ...]:
        """Those of the roles the operation's security requirement names, else the portal's users."""
        everyone = (self.practitioner, self.assistant, self.operator, self.adviser)
        special = {
            ("POST", "/auth/logout"): (self.leaving,),
            ("POST", "/auth/password"): (self.changing,),
            ("GET", "/forms/{reference}/medical"): (self.adviser,),
            ("GET", "/auth/me"): everyone,
            ("POST", "/tariff/preview"): everyone,
            ("GET", "/tariff/nomenclature/versions"): everyone,
            ("GET", "/tariff/nomenclature/{nomenclature}/{code}"): everyone,
        }
        roles = {role for requirement in security for names in requirement.values() for role in names}
        named = tuple(session for session in everyone if session.role in roles)
        return special.get((method, path)) or named or (self.practitioner, self.assistant)

    def headers(self, method: str, path: str, security: list[dict[str, list[str]]]) -> dict[str, str]:
        """The callers of an operation take turns, one request each."""
        callers = self.callers(method, path, security)
        turn = self.calls[f"{method} {path}"]
        self.calls[f"{method} {path}"] += 1
        return callers[turn % len(callers)].headers()


@pytest.fixture(scope="module")
def accounts(system: System) -> Accounts:
    def demo(login: str, role: str) -> Session:
        return sign_in(system, login, DEMO_PASSWORD, demo_secret(system.data_dir, login), role)

    operator = demo("ops.monaco", "operator")
    practitioner = new_practitioner(system, operator, "fuzz.portal", 1)
    return Accounts(
        practitioner=practitioner,
        assistant=new_assistant(system, practitioner, "fuzz.assistant"),
        operator=operator,
        adviser=demo("mc.conseil", "medical_adviser"),
        leaving=new_practitioner(system, operator, "fuzz.leaving", 2),
        changing=new_practitioner(system, operator, "fuzz.changing", 3),
    )


def configuration() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            **({} if SEED is None else {"seed": int(SEED)}),
            "suppress-health-check": ["all"],
            "generation": {"max-examples": EXAMPLES, "deterministic": SEED is None, "mode": "all"},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": COVERAGE, "unexpected-methods": []},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "request-timeout": 60,
        }
    )


def prepare(case: Case[Any]) -> None:
    """The fuzzing publishes nomenclatures, but in force from a date no other test prices on."""
    publishing = case.operation.path == "/tariff/nomenclature/versions" and case.method == "POST"
    if publishing and isinstance(case.body, dict):
        case.body["effective_from"] = FAR_FUTURE


@pytest.mark.parametrize("service", ORDER)
def test_every_operation_answers_bad_input_with_a_documented_4xx(
    service: str, system: System, accounts: Accounts, subtests: pytest.Subtests
) -> None:
    """Each operation of the service's document in turn (a subtest each), as schemathesis' own pytest
    loader would run them (its `from_fixture` does not run on pytest 9.2)."""
    schema = schemathesis.openapi.from_url(f"{system.url(service)}/openapi.json", config=configuration())
    answers: dict[str, list[int]] = defaultdict(list)

    def send(case: Case[Any]) -> None:
        prepare(case)
        security = case.operation.definition.raw.get("security", [])
        headers = accounts.headers(case.method, case.operation.path, security) if security else None
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        answers[case.operation.label].append(response.status_code)

    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"{service}: an operation its document defines badly: {result.err()}"
        operations.append(result.ok())
    assert operations, f"{service}: no operation in its OpenAPI document"
    for operation in operations:
        if operation.path == NEVER_ENDS:
            continue
        with subtests.test(msg=operation.label):
            fuzz = build_operation_test(
                config=schema.config,
                operation=operation,
                test_func=send,
                given_kwargs={},
                feedback=FeedbackSources(),
            )
            try:
                fuzz()
            except FailureGroup as failures:
                raise AssertionError(str(failures)) from None
    # The fuzzing proves little where every request stopped at the token check.
    stopped = {label: sorted(set(codes)) for label, codes in answers.items() if set(codes) <= {401, 403}}
    assert not stopped, f"{service}: never past authentication: {stopped}"
    print(f"{service}: {len(answers)} operations, {sum(map(len, answers.values()))} requests")


@pytest.mark.parametrize(
    ("service", "path", "field"),
    [
        ("claims", "/forms?offset=1812739489582319293956096", "query.offset"),
        ("claims", "/claims?offset=99999999999999999999", "query.offset"),
        ("claims", "/payments?offset=99999999999999999999", "query.offset"),
        ("notifications", "/notifications/notices?limit=-99999999999999999999", "query.limit"),
        ("notifications", "/notifications/deliveries?limit=99999999999999999999", "query.limit"),
    ],
)
def test_what_the_fuzzing_found_is_refused_naming_the_field(
    service: str, path: str, field: str, system: System, accounts: Accounts
) -> None:
    """Paging numbers past the database's integers were 500s (found by this fuzzing, 2026-12-01)."""
    caller = accounts.operator if service == "notifications" else accounts.practitioner
    answer = httpx.get(f"{system.url(service)}{path}", headers=caller.headers())
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == [field]
