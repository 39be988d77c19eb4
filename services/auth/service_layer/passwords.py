"""Changing a password (knowing the current one) and resetting a forgotten one. A reset needs a
one-time code that a fund operator issues and hands over out of band (phone, letter) AND a current
TOTP code: it never bypasses MFA, and auth sends no e-mail. Both end every other session."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update

from contracts.auth import PasswordChangedV1, PasswordResetCodeIssuedV1
from runtime.crypto import fingerprint
from runtime.messaging.uow import Unit, UnitOfWork
from runtime.security import Actor
from services.auth.adapters import repository as repo
from services.auth.adapters.orm import users
from services.auth.domain.passwords import check_policy, hash_password, verify_password
from services.auth.domain.totp import matching_step
from services.auth.service_layer.audit import record
from services.auth.service_layer.login import LoginFailedError, fail
from services.auth.service_layer.sessions import end_everything

RESET_CODE_LIFETIME = timedelta(hours=24)


def _reset_digest(code: str) -> bytes:
    return fingerprint(f"reset:{code}")


async def change(
    uow: UnitOfWork, actor: Actor, current: str, new: str, now: datetime, lifetime: timedelta
) -> None:
    async with uow() as unit:
        user = await repo.user_by_id(unit.session, actor.user_id)
        assert user is not None
        if not repo.throttle_of(user).allows(now) or not verify_password(user.password_hash, current):
            await fail(unit, user, "password", "credentials", now)
            ok = False
        else:
            check_policy(new, (user.login, user.last_name or "", user.first_name or ""))
            await _set_password(unit, user.id, new, now, lifetime, "change", actor.user_id)
            ok = True
    if not ok:
        raise LoginFailedError


async def issue_reset_code(uow: UnitOfWork, user_id: str, operator_id: str, now: datetime) -> str | None:
    """A one-time code for the operator to hand over; None if the account has no active second factor."""
    code = base64.b32encode(secrets.token_bytes(10)).decode()
    async with uow() as unit:
        user = await repo.user_by_id(unit.session, user_id)
        if user is None or not user.totp_active:
            return None
        expires = now + RESET_CODE_LIFETIME
        values = {"reset_digest": _reset_digest(code), "reset_expires_at": expires}
        await unit.session.execute(update(users).where(users.c.id == user.id).values(**values))
        issued = PasswordResetCodeIssuedV1(user_id=user.id, by=operator_id, expires_at=expires, at=now)
        record(unit, issued, subject=user.id)
    return code


async def reset(
    uow: UnitOfWork, login: str, reset_code: str, totp_code: str, new: str, now: datetime, lifetime: timedelta
) -> str:
    """The id of the user whose password was reset (and whose sessions all ended)."""
    async with uow() as unit:
        user = await repo.user_by_login(unit.session, login)
        ok = False
        if user is None or not repo.throttle_of(user).allows(now):
            await fail(unit, user, "reset", "throttled" if user else "credentials", now)
        elif (
            user.reset_digest is None
            or user.reset_expires_at is None
            or now > user.reset_expires_at
            or not secrets.compare_digest(user.reset_digest, _reset_digest(reset_code))
        ):
            await fail(unit, user, "reset", "credentials", now)
        else:
            step = (
                matching_step(user.totp_secret, totp_code, now, user.totp_last_step)
                if user.totp_secret
                else None
            )
            if step is None or not await repo.claim_step(unit.session, user.id, step):
                await fail(unit, user, "reset", "code", now)
            else:
                check_policy(new, (user.login, user.last_name or "", user.first_name or ""))
                await _set_password(unit, user.id, new, now, lifetime, "reset", user.id)
                ok = True
    if not ok or user is None:
        raise LoginFailedError
    return str(user.id)


async def _set_password(
    unit: Unit, user_id: str, new: str, now: datetime, lifetime: timedelta, via: str, by: str
) -> None:
    values = {"password_hash": hash_password(new), "reset_digest": None, "reset_expires_at": None}
    await unit.session.execute(update(users).where(users.c.id == user_id).values(**values))
    if via == "reset":
        await end_everything(unit, user_id, now, now + lifetime, "password reset")
    record(unit, PasswordChangedV1(user_id=user_id, via=via, by=by, at=now), subject=user_id)
