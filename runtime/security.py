"""Access tokens: signed by the auth service (Ed25519), verified locally by every service with the
published public key, so that no request waits on auth. Tokens live minutes; revocations that must act
sooner reach services as events (`Revocations`)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

ISSUER = "fse-auth"
AUDIENCE = "fse"
ALGORITHM = "EdDSA"


class Role(StrEnum):
    PRACTITIONER = "practitioner"
    ASSISTANT = "assistant"
    OPERATOR = "operator"
    MEDICAL_ADVISER = "medical_adviser"


@dataclass(frozen=True)
class Actor:
    """Who acts (user_id) and for which practitioner (practitioner_id; the user itself for a practitioner)."""

    user_id: str
    role: Role
    practitioner_id: str | None
    session_id: str
    expires_at: int
    profession: str | None = None


class InvalidTokenError(Exception):
    pass


def issue_token(
    private_key_pem: bytes, actor: Actor, lifetime_seconds: int, *, now: int | None = None
) -> str:
    """`now` (Unix seconds) is injectable for tests on a frozen clock; the real time otherwise."""
    now = int(time.time()) if now is None else now
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": actor.user_id,
        "role": actor.role.value,
        "prt": actor.practitioner_id,
        "sid": actor.session_id,
        "pro": actor.profession,
        "iat": now,
        "exp": now + lifetime_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, private_key_pem, algorithm=ALGORITHM)


@dataclass
class Revocations:
    """Sessions ended early (logout, revoked assistant, deactivated account), kept until tokens expire."""

    sessions: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)

    def revoke_session(self, session_id: str, until: int) -> None:
        self.sessions[session_id] = until

    def forget_expired(self, now: int) -> None:
        """Drop the entries no token can outlive any more (tokens expire by `until`)."""
        self.sessions = {sid: until for sid, until in self.sessions.items() if until >= now}

    def revoke_user(self, user_id: str, before: int) -> None:
        self.users[user_id] = max(before, self.users.get(user_id, 0))

    def is_revoked(self, actor: Actor, issued_at: int) -> bool:
        return actor.session_id in self.sessions or issued_at <= self.users.get(actor.user_id, -1)


class TokenVerifier:
    """Checks a token's signature, issuer, audience and claims, then its expiry and revocation.

    A token that passed is remembered (the newest `cache_size`): presented again (practice software
    sends one token with every claim), the same string needs no second signature check, which costs
    more than the rest of a claim's intake. Expiry and revocation are checked again at every use."""

    def __init__(
        self,
        public_key_pem: bytes,
        revocations: Revocations | None = None,
        *,
        cache_size: int = 4096,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = public_key_pem
        self.revocations = revocations or Revocations()
        self._cache_size = cache_size
        self._clock = clock
        self._verified: dict[str, tuple[Actor, int]] = {}

    def verify(self, token: str) -> Actor:
        known = self._verified.get(token)
        if known is None:
            actor, issued_at = self._decode(token)
            if len(self._verified) >= self._cache_size:
                del self._verified[next(iter(self._verified))]  # the oldest
            self._verified[token] = actor, issued_at
        else:
            actor, issued_at = known
            if actor.expires_at <= self._clock():  # as PyJWT: expired at `exp` itself
                del self._verified[token]
                raise InvalidTokenError("ExpiredSignatureError")
        if self.revocations.is_revoked(actor, issued_at):
            raise InvalidTokenError("revoked")
        return actor

    def _decode(self, token: str) -> tuple[Actor, int]:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "sid", "role"]},
            )
            actor = Actor(
                user_id=claims["sub"],
                role=Role(claims["role"]),
                practitioner_id=claims.get("prt"),
                session_id=claims["sid"],
                expires_at=int(claims["exp"]),
                profession=claims.get("pro"),
            )
            return actor, int(claims["iat"])
        except (jwt.PyJWTError, KeyError, ValueError) as error:
            raise InvalidTokenError(type(error).__name__) from None


_bearer = HTTPBearer(auto_error=False)


async def current_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Actor:
    if credentials is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "authorization: bearer token required")
    verifier: TokenVerifier = request.app.state.verifier
    try:
        return verifier.verify(credentials.credentials)
    except InvalidTokenError:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "authorization: invalid or expired token",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require(*roles: Role) -> Any:
    """The actor, if their role is one of `roles` (else 403). The roles are the operation's security
    scopes: the OpenAPI document lists them as its bearer requirement's role names (OpenAPI 3.1)."""

    async def check(actor: CurrentActor) -> Actor:
        if actor.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "role: not allowed for this operation")
        return actor

    return Security(check, scopes=[role.value for role in roles])
