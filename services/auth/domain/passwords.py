"""Password hashing (argon2id, argon2-cffi defaults) and the password policy: at least 12 characters,
at most 128, no composition rule, common passwords and context words refused."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_LENGTH = 12
MAX_LENGTH = 128
CONTEXT_WORDS = ("csm", "monaco", "fse", "caisse", "ccss", "camti")
COMMON = frozenset(
    {
        "123456789012",
        "password1234",
        "motdepasse123",
        "azertyuiop12",
        "qwertyuiop12",
        "111111111111",
        "000000000000",
        "abcdefghijkl",
        "passwordpassword",
        "iloveyou1234",
    }
)
# A hash of a random password, verified against when the account does not exist, so that a wrong
# login costs the same time as a wrong password.
DUMMY_HASH = _hasher.hash("not-a-real-password-0f3a9c")


class PasswordPolicyError(ValueError):
    pass


def check_policy(password: str, personal: tuple[str, ...] = ()) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"password: at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(f"password: at most {MAX_LENGTH} characters")
    folded = password.casefold()
    if folded in COMMON:
        raise PasswordPolicyError("password: too common")
    for word in (*CONTEXT_WORDS, *(p.casefold() for p in personal if len(p) >= 4)):
        if word in folded:
            raise PasswordPolicyError("password: must not contain the service's name or your identifiers")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
