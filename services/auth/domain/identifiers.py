"""French professional identifiers, checked in format and check digit before an application is kept.

- RPPS (Répertoire partagé des professionnels de santé): 11 digits, the last one a Luhn key over the
  first ten (the whole number passes the Luhn check).
- ADELI (the older departmental register): 9 digits, département (2), profession (2), order (4), and a
  Luhn key as the ninth digit.
Only ASCII digits are accepted (no spaces, no full-width digits)."""

from __future__ import annotations

import re

_RPPS = re.compile(r"[0-9]{11}")
_ADELI = re.compile(r"[0-9]{9}")


class IdentifierError(ValueError):
    pass


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def luhn_key(digits: str) -> str:
    """The digit to append to `digits` so that the whole passes the Luhn check."""
    return next(str(key) for key in range(10) if luhn_valid(digits + str(key)))


def check_rpps(number: str) -> str:
    if not _RPPS.fullmatch(number):
        raise IdentifierError("rpps: 11 digits expected")
    if not luhn_valid(number):
        raise IdentifierError("rpps: check digit (Luhn key) does not match")
    return number


def check_adeli(number: str) -> str:
    if not _ADELI.fullmatch(number):
        raise IdentifierError("adeli: 9 digits expected")
    if not luhn_valid(number):
        raise IdentifierError("adeli: check digit (Luhn key) does not match")
    return number


def check_identifiers(rpps: str | None, adeli: str | None) -> None:
    if rpps is None and adeli is None:
        raise IdentifierError("rpps: an RPPS or ADELI number is required")
    if rpps is not None:
        check_rpps(rpps)
    if adeli is not None:
        check_adeli(adeli)
