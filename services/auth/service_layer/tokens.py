"""Issuing a full session's tokens: a short-lived signed access token (verified locally by every
service) and a refresh handle bound to the server-side session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from runtime.security import Actor, Role, issue_token
from services.auth.adapters.repository import validity_of
from services.auth.domain.sessions import SessionPolicy, token_expiry


@dataclass(frozen=True)
class Issuer:
    private_key: bytes
    policy: SessionPolicy


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str


def actor_of(user: Row[Any], session_id: str) -> Actor:
    practitioner = user.practitioner_id or (user.id if user.role == Role.PRACTITIONER else None)
    return Actor(user.id, Role(user.role), practitioner, session_id, 0, user.profession)


def issue(
    issuer: Issuer, user: Row[Any], session_id: str, created_at: datetime, refresh: str, now: datetime
) -> Tokens:
    expires = token_expiry(created_at, now, issuer.policy, validity_of(user))
    lifetime = max(int((expires - now).total_seconds()), 0)
    token = issue_token(issuer.private_key, actor_of(user, session_id), lifetime, now=int(now.timestamp()))
    return Tokens(token, refresh, lifetime, session_id)
