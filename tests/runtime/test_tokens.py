"""Token verification: a token is checked in full once, then only for expiry and revocation."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from runtime.security import Actor, InvalidTokenError, Revocations, Role, TokenVerifier, issue_token

ACTOR = Actor("u-1", Role.PRACTITIONER, "u-1", "s-1", expires_at=0, profession="doctor")


@pytest.fixture(scope="module")
def keys() -> tuple[bytes, bytes]:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens whose signature was checked."""
    seen: list[str] = []
    original: Callable[..., Any] = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(token)
        return original(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return seen


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_token_presented_again_is_not_checked_again(keys: tuple[bytes, bytes], decodes: list[str]) -> None:
    private, public = keys
    verifier = TokenVerifier(public)
    token = issue_token(private, ACTOR, 60)
    first, second = verifier.verify(token), verifier.verify(token)
    assert first == second
    assert (first.user_id, first.role, first.session_id) == ("u-1", Role.PRACTITIONER, "s-1")
    assert decodes == [token]


def test_a_remembered_token_still_expires(keys: tuple[bytes, bytes]) -> None:
    private, public = keys
    clock = Clock()
    verifier = TokenVerifier(public, clock=clock)
    token = issue_token(private, ACTOR, 60, now=int(clock.now))
    verifier.verify(token)
    clock.now += 59
    verifier.verify(token)
    clock.now += 1  # at `exp` itself, as PyJWT
    with pytest.raises(InvalidTokenError, match="Expired"):
        verifier.verify(token)


def test_an_expired_token_is_refused_and_forgotten(keys: tuple[bytes, bytes], decodes: list[str]) -> None:
    private, public = keys
    verifier = TokenVerifier(public)
    token = issue_token(private, ACTOR, 60, now=int(time.time()) - 61)
    for _ in range(2):
        with pytest.raises(InvalidTokenError, match="Expired"):
            verifier.verify(token)
    assert decodes == [token, token]


def test_a_remembered_token_is_still_refused_once_revoked(keys: tuple[bytes, bytes]) -> None:
    private, public = keys
    revocations = Revocations()
    verifier = TokenVerifier(public, revocations)
    by_session = issue_token(private, ACTOR, 60)
    other = Actor("u-2", Role.ASSISTANT, "u-1", "s-2", expires_at=0)
    by_user = issue_token(private, other, 60)
    verifier.verify(by_session)
    verifier.verify(by_user)
    revocations.revoke_session("s-1", until=int(time.time()) + 60)
    revocations.revoke_user("u-2", before=int(time.time()))
    for token in (by_session, by_user):
        with pytest.raises(InvalidTokenError, match="revoked"):
            verifier.verify(token)


def test_only_the_very_same_string_is_taken_as_checked(keys: tuple[bytes, bytes]) -> None:
    private, public = keys
    verifier = TokenVerifier(public)
    token = issue_token(private, ACTOR, 60)
    verifier.verify(token)
    header, body, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    for forged in (f"{header}.{body}.{flipped}", f"{header}.{body}.", token + "x"):
        with pytest.raises(InvalidTokenError):
            verifier.verify(forged)
    other_key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(InvalidTokenError):
        verifier.verify(issue_token(other_key, ACTOR, 60))


def test_the_memory_is_bounded(keys: tuple[bytes, bytes], decodes: list[str]) -> None:
    private, public = keys
    verifier = TokenVerifier(public, cache_size=2)
    a, b, c = (issue_token(private, ACTOR, 60) for _ in range(3))
    for token in (a, b, c, c, b, a):
        verifier.verify(token)
    assert decodes == [a, b, c, a]  # a was the oldest when c came: checked again
