"""Queries on the auth tables, used by the use cases inside one unit of work."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.crypto import fingerprint
from runtime.periodic import delete_oldest, oldest_before
from services.auth.adapters.orm import sessions, users
from services.auth.domain.sessions import Validity
from services.auth.domain.throttle import Throttle


def digest(handle: str) -> bytes:
    return fingerprint(f"session:{handle}")


async def user_by_login(db: AsyncConnection, login: str) -> Row[Any] | None:
    """The account, locked until the unit of work ends (PostgreSQL; SQLite serialises writers anyway), so
    that concurrent attempts count every failure and see each other's throttle."""
    return (await db.execute(select(users).where(users.c.login == login).with_for_update())).one_or_none()


PENDING_PRACTITIONERS = (
    select(users)
    .where(users.c.status == "pending", users.c.role == "practitioner")
    .order_by(users.c.created_at, users.c.id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)


async def pending_practitioners(db: AsyncConnection, limit: int, offset: int) -> list[Row[Any]]:
    """Practitioners whose application waits for an operator, oldest first, through the index on
    (status, role, created_at, id): the users table holds every account of every role."""
    return list((await db.execute(PENDING_PRACTITIONERS, {"limit": limit, "offset": offset})).all())


async def user_by_id(db: AsyncConnection, user_id: str) -> Row[Any] | None:
    return (await db.execute(select(users).where(users.c.id == user_id).with_for_update())).one_or_none()


def throttle_of(user: Row[Any]) -> Throttle:
    return Throttle(user.failed_attempts or 0, user.next_attempt_at)


def validity_of(user: Row[Any]) -> Validity | None:
    if user.role != "assistant":
        return None
    return Validity(user.valid_from, user.valid_until, user.revoked_at)


async def save_throttle(db: AsyncConnection, user_id: str, throttle: Throttle) -> None:
    await db.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(failed_attempts=throttle.failures, next_attempt_at=throttle.next_attempt_at)
    )


async def claim_step(db: AsyncConnection, user_id: str, step: int) -> bool:
    """Atomically record `step` as the last accepted TOTP step: False if it (or a later one) already was."""
    claimed = await db.execute(
        update(users)
        .where(users.c.id == user_id, or_(users.c.totp_last_step.is_(None), users.c.totp_last_step < step))
        .values(totp_last_step=step)
    )
    return claimed.rowcount == 1


async def open_session(db: AsyncConnection, user_id: str, stage: str, now: datetime) -> tuple[str, str]:
    """A new session (new id) and its handle, which only the client keeps (we keep a digest)."""
    session_id, handle = uuid.uuid4().hex, secrets.token_urlsafe(32)
    await db.execute(
        sessions.insert().values(
            id=session_id,
            handle_digest=digest(handle),
            user_id=user_id,
            stage=stage,
            created_at=now,
            last_seen_at=now,
        )
    )
    return session_id, handle


async def live_session(db: AsyncConnection, handle: str, stages: tuple[str, ...]) -> Row[Any] | None:
    query = select(sessions).where(
        sessions.c.handle_digest == digest(handle),
        sessions.c.stage.in_(stages),
        sessions.c.ended_at.is_(None),
    )
    return (await db.execute(query)).one_or_none()


async def end_session(db: AsyncConnection, session_id: str, now: datetime) -> bool:
    ended = await db.execute(
        update(sessions)
        .where(sessions.c.id == session_id, sessions.c.ended_at.is_(None))
        .values(ended_at=now)
    )
    return ended.rowcount == 1


async def end_all_sessions(db: AsyncConnection, user_id: str, now: datetime) -> list[str]:
    query = select(sessions.c.id).where(sessions.c.user_id == user_id, sessions.c.ended_at.is_(None))
    ids = list((await db.execute(query)).scalars())
    if ids:
        await db.execute(update(sessions).where(sessions.c.id.in_(ids)).values(ended_at=now))
    return ids


OLDEST_SESSIONS = oldest_before(sessions.c.id, sessions.c.created_at)


async def purge_sessions_before(db: AsyncConnection, cutoff: datetime, limit: int) -> int:
    """The oldest sessions begun before `cutoff`, up to `limit`, deleted; returns how many."""
    return len(await delete_oldest(db, OLDEST_SESSIONS, sessions.c.id, cutoff, limit))


async def rotate_handle(db: AsyncConnection, session_id: str, old: str, now: datetime) -> str | None:
    """Replace a refresh handle by a new one (single use: a concurrent second refresh gets None)."""
    new = secrets.token_urlsafe(32)
    rotated = await db.execute(
        update(sessions)
        .where(
            sessions.c.id == session_id,
            sessions.c.handle_digest == digest(old),
            sessions.c.ended_at.is_(None),
        )
        .values(handle_digest=digest(new), last_seen_at=now)
    )
    return new if rotated.rowcount == 1 else None
