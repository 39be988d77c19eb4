"""Pure domain rules: professional identifiers, the password policy, throttling, session limits and
assistants' validity on an injected clock (Monaco dates, across a DST change)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.auth.domain.identifiers import (
    IdentifierError,
    check_adeli,
    check_identifiers,
    check_rpps,
    luhn_key,
)
from services.auth.domain.passwords import PasswordPolicyError, check_policy, hash_password, verify_password
from services.auth.domain.sessions import MONACO, SessionPolicy, Validity, session_alive, token_expiry
from services.auth.domain.throttle import (
    FREE_ATTEMPTS,
    HARD_DELAY,
    HARD_LIMIT,
    MAX_DELAY,
    Throttle,
    delay_after,
)

NOW = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 in Monaco, half an hour before clocks go back


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_every_rpps_with_its_luhn_key_is_accepted_and_every_other_key_refused(body: str) -> None:
    key = luhn_key(body)
    assert check_rpps(body + key) == body + key
    for wrong in set("0123456789") - {key}:
        with pytest.raises(IdentifierError, match="rpps: check digit"):
            check_rpps(body + wrong)


@given(st.text(alphabet="0123456789", min_size=8, max_size=8), st.integers(0, 7))
def test_a_single_digit_typo_in_an_adeli_number_is_caught(body: str, position: int) -> None:
    number = body + luhn_key(body)
    typo = number[:position] + str((int(number[position]) + 1) % 10) + number[position + 1 :]
    assert check_adeli(number) == number
    with pytest.raises(IdentifierError):
        check_adeli(typo)


@pytest.mark.parametrize(
    "number", ["1000345678", "100034567866", "１０００３４５６７８６", "10003 45678", "abcdefghijk"]
)
def test_rpps_numbers_other_than_eleven_ascii_digits_are_refused(number: str) -> None:
    with pytest.raises(IdentifierError, match="rpps: 11 digits"):
        check_rpps(number)


def test_at_least_one_identifier_is_required() -> None:
    with pytest.raises(IdentifierError, match="rpps"):
        check_identifiers(None, None)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("only 11 chr", "at least 12"),
        ("x" * 129, "at most 128"),
        ("password1234", "too common"),
        ("qwertyuiop123", "too common"),
        ("a" * 128, "too common"),
        ("Welcome to Monaco 2026", "identifiers"),
        ("my CSM portal password", "identifiers"),
        ("claire durand rocks!", "identifiers"),
        ("dr.durand is my login", "identifiers"),
    ],
)
def test_the_policy_refuses_short_long_common_and_context_passwords(password: str, reason: str) -> None:
    with pytest.raises(PasswordPolicyError, match=reason):
        check_policy(password, ("dr.durand", "Claire", "Durand"))


LONGEST = ("quatre mots au hasard, puis une phrase qui continue " * 3)[:128]


@pytest.mark.parametrize("password", ["correct horse battery", "ÉtéÀ la plage!!", "     twelve  ", LONGEST])
def test_no_composition_rule_and_unicode_is_welcome(password: str) -> None:
    check_policy(password, ("dr.durand",))


def test_passwords_are_checked_exactly_as_typed() -> None:
    stored = hash_password("Case Matters 123")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "Case Matters 123")
    assert not verify_password(stored, "case matters 123")
    assert not verify_password(None, "Case Matters 123")


def test_backoff_grows_then_caps_and_always_ends() -> None:
    assert [delay_after(n) for n in range(FREE_ATTEMPTS)] == [timedelta(0)] * FREE_ATTEMPTS
    delays = [delay_after(n) for n in range(FREE_ATTEMPTS, HARD_LIMIT)]
    assert delays == sorted(delays)
    assert max(delays) == MAX_DELAY
    assert delay_after(HARD_LIMIT + 1000) == HARD_DELAY


def test_a_throttled_account_is_free_again_when_the_wait_ends() -> None:
    throttle = Throttle()
    for _ in range(FREE_ATTEMPTS):
        throttle = throttle.failed(NOW)
    assert throttle.next_attempt_at is not None
    assert not throttle.allows(NOW)
    assert throttle.allows(throttle.next_attempt_at)


def test_reaching_100_failures_takes_the_attacker_most_of_a_day() -> None:
    assert sum((delay_after(n) for n in range(HARD_LIMIT)), timedelta(0)) > timedelta(hours=20)


def test_sessions_end_after_30_minutes_idle_or_12_hours() -> None:
    policy = SessionPolicy()
    assert session_alive(NOW, NOW + timedelta(minutes=29), NOW + timedelta(minutes=58), policy)
    assert not session_alive(NOW, NOW, NOW + timedelta(minutes=30), policy)
    assert not session_alive(NOW, NOW + timedelta(hours=11, minutes=59), NOW + timedelta(hours=12), policy)


def test_an_access_token_never_outlives_the_session_nor_the_delegation() -> None:
    policy = SessionPolicy()
    assert token_expiry(NOW, NOW, policy) == NOW + policy.access_token
    late = NOW + timedelta(hours=11, minutes=58)
    assert token_expiry(NOW, late, policy) == NOW + policy.absolute
    last_day = Validity(date(2026, 10, 1), date(2026, 10, 24))
    assert token_expiry(NOW, NOW - timedelta(minutes=2), policy, last_day) == datetime(
        2026, 10, 25, tzinfo=MONACO
    )


def test_a_delegation_runs_from_the_first_to_the_last_monaco_day() -> None:
    validity = Validity(date(2026, 10, 25), date(2026, 10, 25))
    assert validity.active(NOW)
    assert not validity.active(datetime(2026, 10, 24, 21, 59, tzinfo=UTC))  # 23:59 in Monaco, the day before
    assert validity.active(datetime(2026, 10, 25, 22, 59, tzinfo=UTC))  # 23:59 in Monaco (winter time)
    assert not validity.active(datetime(2026, 10, 25, 23, 0, tzinfo=UTC))
    assert not Validity(date(2026, 10, 1), None, revoked_at=NOW).active(NOW)
