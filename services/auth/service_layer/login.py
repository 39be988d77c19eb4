"""Logging in: the password step opens a pending session; the TOTP step (which also activates a new
enrolment) ends it and opens a full session with a new id. Wrong login, wrong password, wrong code,
replay and throttling all get the same answer; the audit tells them apart."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, update

from contracts.auth import (
    AccountThrottledV1,
    AuthenticationFailedV1,
    AuthenticationSucceededV1,
    TotpEnrolledV1,
)
from runtime.messaging.uow import Unit, UnitOfWork
from services.auth.adapters import repository as repo
from services.auth.adapters.orm import users
from services.auth.domain.passwords import verify_password
from services.auth.domain.totp import matching_step
from services.auth.service_layer.audit import record
from services.auth.service_layer.tokens import Issuer, Tokens, issue

PENDING_LIFETIME = timedelta(minutes=5)


class LoginFailedError(Exception):
    """Deliberately uninformative: the same for every cause."""


def can_log_in(user: Row[Any], now: datetime) -> bool:
    validity = repo.validity_of(user)
    return user.status == "active" and (validity is None or validity.active(now))


async def fail(unit: Unit, user: Row[Any] | None, step: str, reason: str, now: datetime) -> None:
    """Record a refusal; wrong passwords and codes count towards the account's throttle."""
    failures = 0
    if user is not None and reason in ("credentials", "code"):
        throttle = repo.throttle_of(user).failed(now)
        failures = throttle.failures
        await repo.save_throttle(unit.session, user.id, throttle)
        if throttle.next_attempt_at is not None:
            throttled = AccountThrottledV1(
                user_id=user.id, failures=failures, until=throttle.next_attempt_at, at=now
            )
            record(unit, throttled, subject=user.id)
    event = AuthenticationFailedV1(
        user_id=user.id if user else None, step=step, reason=reason, failures=failures, at=now
    )
    record(unit, event, subject=user.id if user else "unknown")


async def start_login(uow: UnitOfWork, login: str, password: str, now: datetime) -> tuple[str, str]:
    """The pending session's handle and the next step: "totp", or "enrol" without an active factor."""
    async with uow() as unit:
        user = await repo.user_by_login(unit.session, login)
        if user is not None and not repo.throttle_of(user).allows(now):
            verify_password(None, password)  # the same work as any other answer
            await fail(unit, user, "password", "throttled", now)
            outcome = None
        elif not verify_password(user.password_hash if user else None, password):
            await fail(unit, user, "password", "credentials", now)
            outcome = None
        elif user is None or not can_log_in(user, now):
            await fail(unit, user, "password", "inactive", now)
            outcome = None
        else:
            stage = "password" if user.totp_active else "enrol"
            _, handle = await repo.open_session(unit.session, user.id, stage, now)
            outcome = handle, "totp" if user.totp_active else "enrol"
    if outcome is None:
        raise LoginFailedError
    return outcome


async def complete_login(uow: UnitOfWork, handle: str, code: str, now: datetime, issuer: Issuer) -> Tokens:
    async with uow() as unit:
        tokens = await _second_factor(unit, handle, code, now, issuer)
    if tokens is None:
        raise LoginFailedError
    return tokens


async def _second_factor(unit: Unit, handle: str, code: str, now: datetime, issuer: Issuer) -> Tokens | None:
    db = unit.session
    pending = await repo.live_session(db, handle, ("password", "enrol"))
    if pending is None or now - pending.created_at > PENDING_LIFETIME:
        await fail(unit, None, "totp", "expired", now)
        return None
    user = await repo.user_by_id(db, pending.user_id)
    if user is None or user.totp_secret is None or not can_log_in(user, now):
        await fail(unit, user, "totp", "inactive", now)
        return None
    if not repo.throttle_of(user).allows(now):
        await fail(unit, user, "totp", "throttled", now)
        return None
    step = matching_step(user.totp_secret, code, now, user.totp_last_step)
    if step is None:
        replay = matching_step(user.totp_secret, code, now, None) is not None
        await fail(unit, user, "totp", "replay" if replay else "code", now)
        return None
    if not await repo.claim_step(db, user.id, step) or not await repo.end_session(db, pending.id, now):
        await fail(unit, user, "totp", "replay", now)
        return None
    await db.execute(
        update(users).where(users.c.id == user.id).values(failed_attempts=0, next_attempt_at=None)
    )
    if pending.stage == "enrol":
        await db.execute(update(users).where(users.c.id == user.id).values(totp_active=True))
        record(unit, TotpEnrolledV1(user_id=user.id, at=now), subject=user.id)
    session_id, refresh = await repo.open_session(db, user.id, "full", now)
    tokens = issue(issuer, user, session_id, now, refresh, now)
    success = AuthenticationSucceededV1(
        user_id=user.id,
        role=user.role,
        practitioner_id=user.practitioner_id,
        session_id=session_id,
        step="totp",
        at=now,
    )
    record(unit, success, subject=user.id)
    return tokens
