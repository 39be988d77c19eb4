"""TOTP (RFC 6238: SHA-1, 6 digits, 30 s) with single use: a code is accepted only for a time step later
than the last one accepted. One step of drift either side is accepted (a code lives at most 90 s)."""

from __future__ import annotations

import base64
import re
import secrets
from datetime import UTC, datetime

import pyotp

STEP_SECONDS = 30
DRIFT_STEPS = 1
SECRET_BYTES = 20  # 160 bits
_CODE = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name="CSM FSE")


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step `code` belongs to, if it is valid now and newer than `last_step`; else None."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        return None
    if now.tzinfo is None:
        raise ValueError("now: an aware datetime is required")
    totp = pyotp.TOTP(secret)
    current = int(now.astimezone(UTC).timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None
