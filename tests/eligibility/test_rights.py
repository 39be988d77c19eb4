from __future__ import annotations

from datetime import date

from contracts.common import CardColour
from services.eligibility.domain.rights import Beneficiary, Household, Period, check

CODE = b"d" * 32
HOUSEHOLD = Household(
    code_fse_digest=CODE,
    card_colour=CardColour.VERTE,
    members={
        0: Beneficiary(0, (Period(date(2020, 1, 1), None),), (Period(date(2026, 1, 1), date(2026, 6, 30)),)),
        1: Beneficiary(1, (Period(date(2020, 1, 1), date(2025, 12, 31)),), ()),
    },
)


def test_open_rights_give_the_card_and_its_rules() -> None:
    verdict = check(HOUSEHOLD, CODE, 0, [date(2026, 3, 1)])
    assert verdict.eligible
    assert verdict.card_colour is CardColour.VERTE
    assert verdict.etm
    assert verdict.hnp_allowed
    assert not verdict.overrun_allowed


def test_etm_must_cover_every_date_of_care() -> None:
    assert not check(HOUSEHOLD, CODE, 0, [date(2026, 6, 30), date(2026, 7, 1)]).etm


def test_rights_closed_on_a_date_of_care() -> None:
    assert check(HOUSEHOLD, CODE, 1, [date(2026, 1, 2)]).reason_code == "RIGHTS_CLOSED"
    assert check(HOUSEHOLD, CODE, 1, [date(2025, 12, 31)]).eligible


def test_unknown_beneficiary_and_wrong_code() -> None:
    assert check(None, CODE, 0, [date(2026, 1, 2)]).reason_code == "BENEFICIARY_UNKNOWN"
    assert check(HOUSEHOLD, CODE, 7, [date(2026, 1, 2)]).reason_code == "BENEFICIARY_UNKNOWN"
    assert check(HOUSEHOLD, b"x" * 32, 0, [date(2026, 1, 2)]).reason_code == "CODE_FSE_INVALID"
