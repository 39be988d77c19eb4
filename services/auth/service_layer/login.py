"""Logging in: the password step opens a pending session, the TOTP step replaces it with a full one
and issues a token. Wrong login and wrong password get the same answer."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import or_, select, update

from runtime.crypto import fingerprint
from runtime.messaging.uow import Unit
from runtime.security import Actor, Role, issue_token
from services.auth.adapters.orm import sessions, users
from services.auth.domain.passwords import verify_password
from services.auth.domain.totp import matching_step


class LoginFailedError(Exception):
    """Deliberately uninformative: the same for every cause."""


def _handle_digest(handle: str) -> bytes:
    return fingerprint(f"session:{handle}")


async def start_login(unit: Unit, login: str, password: str, now: datetime) -> str:
    user = (await unit.session.execute(select(users).where(users.c.login == login))).one_or_none()
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or user.status != "active":
        raise LoginFailedError
    handle = secrets.token_urlsafe(32)
    await unit.session.execute(
        sessions.insert().values(
            id=uuid.uuid4().hex,
            handle_digest=_handle_digest(handle),
            user_id=user.id,
            stage="password",
            created_at=now,
            last_seen_at=now,
        )
    )
    return handle


async def complete_login(
    unit: Unit, handle: str, code: str, now: datetime, private_key: bytes, lifetime: int
) -> str:
    pending = (
        await unit.session.execute(
            select(sessions).where(
                sessions.c.handle_digest == _handle_digest(handle),
                sessions.c.stage == "password",
                sessions.c.ended_at.is_(None),
            )
        )
    ).one_or_none()
    if pending is None:
        raise LoginFailedError
    user = (await unit.session.execute(select(users).where(users.c.id == pending.user_id))).one()
    if not user.totp_active or user.totp_secret is None:
        raise LoginFailedError
    step = matching_step(user.totp_secret, code, now, user.totp_last_step)
    if step is None:
        raise LoginFailedError
    claimed = await unit.session.execute(
        update(users)
        .where(users.c.id == user.id, or_(users.c.totp_last_step.is_(None), users.c.totp_last_step < step))
        .values(totp_last_step=step)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise LoginFailedError
    await unit.session.execute(update(sessions).where(sessions.c.id == pending.id).values(ended_at=now))
    session_id = uuid.uuid4().hex
    await unit.session.execute(
        sessions.insert().values(
            id=session_id,
            handle_digest=_handle_digest(secrets.token_urlsafe(32)),
            user_id=user.id,
            stage="full",
            created_at=now,
            last_seen_at=now,
        )
    )
    actor = Actor(
        user_id=user.id,
        role=Role(user.role),
        practitioner_id=user.practitioner_id or (user.id if user.role == Role.PRACTITIONER else None),
        session_id=session_id,
        expires_at=0,
        profession=user.profession,
    )
    return issue_token(private_key, actor, lifetime)
