"""A full session after login: refreshing its access token (idle and absolute timeouts, the account and
an assistant's delegation checked each time) and logging out, which other services learn at once."""

from __future__ import annotations

from datetime import datetime

from contracts.auth import AuthenticationSucceededV1, LoggedOutV1, SessionsRevokedV1
from runtime.messaging.uow import Unit, UnitOfWork
from runtime.security import Actor
from services.auth.adapters import repository as repo
from services.auth.domain.sessions import session_alive
from services.auth.service_layer.audit import record
from services.auth.service_layer.login import LoginFailedError, can_log_in, fail
from services.auth.service_layer.tokens import Issuer, Tokens, issue


async def refresh(uow: UnitOfWork, handle: str, now: datetime, issuer: Issuer) -> Tokens:
    async with uow() as unit:
        tokens = await _refresh(unit, handle, now, issuer)
    if tokens is None:
        raise LoginFailedError
    return tokens


async def _refresh(unit: Unit, handle: str, now: datetime, issuer: Issuer) -> Tokens | None:
    db = unit.session
    session = await repo.live_session(db, handle, ("full",))
    if session is None:
        await fail(unit, None, "refresh", "expired", now)
        return None
    user = await repo.user_by_id(db, session.user_id)
    alive = session_alive(session.created_at, session.last_seen_at, now, issuer.policy)
    if user is None or not alive or not can_log_in(user, now):
        await repo.end_session(db, session.id, now)
        await fail(unit, user, "refresh", "expired" if not alive else "inactive", now)
        return None
    new_handle = await repo.rotate_handle(db, session.id, handle, now)
    if new_handle is None:
        await fail(unit, user, "refresh", "replay", now)
        return None
    event = AuthenticationSucceededV1(
        user_id=user.id,
        role=user.role,
        practitioner_id=user.practitioner_id,
        session_id=session.id,
        step="refresh",
        at=now,
    )
    record(unit, event, subject=user.id)
    return issue(issuer, user, session.id, session.created_at, new_handle, now)


async def logout(uow: UnitOfWork, actor: Actor, now: datetime) -> None:
    async with uow() as unit:
        await repo.end_session(unit.session, actor.session_id, now)
        until = datetime.fromtimestamp(max(actor.expires_at, int(now.timestamp())), now.tzinfo)
        revoked = SessionsRevokedV1(
            user_id=actor.user_id, session_ids=[actor.session_id], until=until, reason="logout"
        )
        unit.emit(revoked, subject=actor.user_id)
        record(
            unit,
            LoggedOutV1(user_id=actor.user_id, session_id=actor.session_id, at=now),
            subject=actor.user_id,
        )


async def end_everything(unit: Unit, user_id: str, now: datetime, until: datetime, reason: str) -> None:
    """End every session of a user and tell every service to refuse the tokens issued until now."""
    session_ids = await repo.end_all_sessions(unit.session, user_id, now)
    revoked = SessionsRevokedV1(
        user_id=user_id, session_ids=session_ids, before=now, until=until, reason=reason
    )
    unit.emit(revoked, subject=user_id)
