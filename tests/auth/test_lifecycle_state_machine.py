"""The login lifecycle as a Hypothesis state machine on a frozen, injected clock (the real use cases
on a real SQLite database), under TZ=UTC and TZ=Europe/Monaco, starting next to a DST change."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import jwt
import pyotp
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    precondition,
    rule,
    run_state_machine_as_test,
)

from runtime import db
from runtime.messaging.uow import UnitOfWork
from runtime.security import Actor, Role
from services.auth.adapters.orm import messaging, metadata, users
from services.auth.domain.passwords import hash_password
from services.auth.domain.throttle import Throttle
from services.auth.domain.totp import STEP_SECONDS, new_secret
from services.auth.service_layer import sessions
from services.auth.service_layer.login import PENDING_LIFETIME, LoginFailedError, complete_login, start_login
from services.auth.service_layer.tokens import Issuer
from services.auth.settings import Settings

PASSWORD = "state machine passphrase"
MIGRATIONS = Path(__file__).parents[2] / "services" / "auth" / "migrations"
T = TypeVar("T")
START = datetime(2026, 3, 29, 0, 50, tzinfo=UTC)  # 01:50 in Monaco, ten minutes before the clocks jump


@pytest.fixture(params=["UTC", "Europe/Monaco"])
def local_time_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    previous = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if previous is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = previous
    time.tzset()


class LoginLifecycle(RuleBasedStateMachine):
    """Each run has its own user in one migrated database (a fresh account, a fresh clock)."""

    loop: asyncio.AbstractEventLoop
    uow: UnitOfWork
    issuer: Issuer
    password_hash: str

    def __init__(self) -> None:
        super().__init__()
        self.user_id = f"prt-{os.urandom(6).hex()}"
        self.secret = new_secret()
        self.now = START
        self.throttle = Throttle()
        self.last_step: int | None = None
        self.pending: tuple[str, datetime] | None = None
        self.session: tuple[str, str, datetime, datetime] | None = None  # id, refresh, created, last seen
        self.run(self._insert_user())

    def run(self, awaitable: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(awaitable)

    async def _insert_user(self) -> None:
        async with self.uow() as unit:
            row = {
                "id": self.user_id,
                "login": self.user_id,
                "password_hash": self.password_hash,
                "role": "practitioner",
                "profession": "medecin",
                "status": "active",
                "totp_secret": self.secret,
                "totp_active": True,
                "created_at": self.now,
            }
            await unit.session.execute(users.insert().values(**row))

    @rule(seconds=st.sampled_from([1, 29, 31, 200, 301, 1799, 1801, 3600, 6 * 3600]))
    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule(correct=st.booleans())
    def password_step(self, correct: bool) -> None:
        allowed = self.throttle.allows(self.now)
        try:
            handle, next_step = self.run(
                start_login(self.uow, self.user_id, PASSWORD if correct else "wrong passphrase!", self.now)
            )
        except LoginFailedError:
            assert not (correct and allowed)
            if allowed:
                self.throttle = self.throttle.failed(self.now)
            return
        assert correct
        assert allowed
        assert next_step == "totp"
        self.pending = (handle, self.now)

    @precondition(lambda self: self.pending is not None)
    @rule(kind=st.sampled_from(["current", "wrong"]))
    def totp_step(self, kind: str) -> None:
        assert self.pending is not None
        handle, opened = self.pending
        step = int(self.now.timestamp()) // STEP_SECONDS
        totp = pyotp.TOTP(self.secret)
        window = {totp.at((step + d) * STEP_SECONDS) for d in (-1, 0, 1)}
        code = (
            totp.at(step * STEP_SECONDS)
            if kind == "current"
            else next(c for c in ("000000", "111111", "222222", "333333") if c not in window)
        )
        fresh = self.now - opened <= PENDING_LIFETIME
        allowed = self.throttle.allows(self.now)
        expected = (
            kind == "current" and fresh and allowed and (self.last_step is None or step > self.last_step)
        )
        try:
            tokens = self.run(complete_login(self.uow, handle, code, self.now, self.issuer))
        except LoginFailedError:
            assert not expected
            if fresh and allowed and kind == "wrong":
                self.throttle = self.throttle.failed(self.now)
            return
        assert expected
        self.last_step, self.pending, self.throttle = step, None, Throttle()
        self.session = (tokens.session_id, tokens.refresh_token, self.now, self.now)
        self.check_token(tokens.access_token, self.now)

    @precondition(lambda self: self.session is not None)
    @rule()
    def refresh(self) -> None:
        assert self.session is not None
        session_id, handle, created, last_seen = self.session
        policy = self.issuer.policy
        alive = self.now - last_seen < policy.idle and self.now - created < policy.absolute
        try:
            tokens = self.run(sessions.refresh(self.uow, handle, self.now, self.issuer))
        except LoginFailedError:
            assert not alive
            self.session = None
            return
        assert alive
        assert tokens.session_id == session_id
        self.session = (session_id, tokens.refresh_token, created, self.now)
        self.check_token(tokens.access_token, created)

    @precondition(lambda self: self.session is not None)
    @rule()
    def logout(self) -> None:
        assert self.session is not None
        actor = Actor(self.user_id, Role.PRACTITIONER, self.user_id, self.session[0], 0)
        self.run(sessions.logout(self.uow, actor, self.now))
        handle = self.session[1]
        self.session = None
        with pytest.raises(LoginFailedError):
            self.run(sessions.refresh(self.uow, handle, self.now, self.issuer))

    def check_token(self, token: str, created: datetime) -> None:
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["iat"] == int(self.now.timestamp())
        assert claims["exp"] <= int((self.now + self.issuer.policy.access_token).timestamp())
        assert claims["exp"] <= int((created + self.issuer.policy.absolute).timestamp())


def test_login_lifecycle(local_time_zone: str, data_dir: Path, tmp_path: Path) -> None:
    config = Settings(data_dir=data_dir)
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'lifecycle.db'}")
    LoginLifecycle.loop = loop = asyncio.new_event_loop()
    LoginLifecycle.uow = UnitOfWork(db.sessions(engine), messaging, "tests/auth")
    LoginLifecycle.issuer = Issuer(config.resolved_private_key(), config.session_policy())
    LoginLifecycle.password_hash = hash_password(PASSWORD)
    chosen = settings(
        max_examples=6, stateful_step_count=20, deadline=None, suppress_health_check=list(HealthCheck)
    )
    try:
        loop.run_until_complete(db.migrate(engine, MIGRATIONS, metadata))
        run_state_machine_as_test(LoginLifecycle, settings=chosen)
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()
