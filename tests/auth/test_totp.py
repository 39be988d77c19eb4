"""TOTP against an independent implementation (oathtool), single use, strict code format."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.auth.domain.totp import STEP_SECONDS, matching_step, new_secret

OATHTOOL = shutil.which("oathtool")


def oathtool(secret: str, at: datetime) -> str:
    assert OATHTOOL, "oathtool is required (Debian package oathtool)"
    stamp = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return subprocess.run(
        [OATHTOOL, "--totp", "-b", "--now", stamp, secret], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_secrets_have_160_bits() -> None:
    import base64

    assert len(base64.b32decode(new_secret())) == 20


def test_oathtool_codes_are_accepted_once() -> None:
    secret, now = new_secret(), datetime.now(UTC)
    code = oathtool(secret, now)
    step = matching_step(secret, code, now, None)
    assert step == int(now.timestamp()) // STEP_SECONDS
    assert matching_step(secret, code, now, step) is None


def test_one_step_of_drift_is_accepted_two_are_not() -> None:
    secret, now = new_secret(), datetime(2026, 3, 29, 0, 59, 50, tzinfo=UTC)
    assert matching_step(secret, oathtool(secret, now - timedelta(seconds=30)), now, None) is not None
    assert matching_step(secret, oathtool(secret, now - timedelta(seconds=90)), now, None) is None


def test_the_local_time_zone_changes_nothing() -> None:
    secret = new_secret()
    monaco = datetime(2026, 3, 29, 3, 0, 5, tzinfo=ZoneInfo("Europe/Monaco"))
    assert matching_step(secret, oathtool(secret, monaco), monaco, None) is not None


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize(
    "mangle",
    [int, lambda c: c.translate(FULL_WIDTH), lambda c: f" {c}", lambda c: c[:5]],
    ids=["int", "full-width", "space", "short"],
)
def test_codes_other_than_six_ascii_digits_are_refused(mangle: object) -> None:
    secret, now = new_secret(), datetime.now(UTC)
    code = oathtool(secret, now)
    assert matching_step(secret, mangle(code), now, None) is None  # type: ignore[operator]


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        matching_step(new_secret(), "123456", datetime(2026, 1, 1), None)
