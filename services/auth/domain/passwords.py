"""Password hashing (argon2id, argon2-cffi defaults) and the password policy: at least 12 characters,
at most 128, no composition rule; common or guessable passwords (zxcvbn) and context words refused."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

_hasher = PasswordHasher()
MIN_LENGTH = 12
MAX_LENGTH = 128
CONTEXT_WORDS = ("csm", "monaco", "fse", "caisse", "ccss", "camti")
#: zxcvbn's score (0-4): 3 means "safely unguessable" for an online attack; its dictionaries hold the
#: ~30,000 most common passwords, words and names, and it sees keyboard patterns, sequences and dates.
MIN_STRENGTH = 3
_ESTIMATED_PREFIX = 72  # the estimator refuses longer input; the prefix decides for long passwords


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
    context = (*CONTEXT_WORDS, *(p.casefold() for p in personal if len(p) >= 4))
    for word in context:
        if word in folded:
            raise PasswordPolicyError("password: must not contain the service's name or your identifiers")
    if zxcvbn(password[:_ESTIMATED_PREFIX], user_inputs=list(context))["score"] < MIN_STRENGTH:
        raise PasswordPolicyError(
            "password: too common or too easy to guess (a longer phrase of words works)"
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
