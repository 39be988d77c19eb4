"""Transmission deadlines in Monaco dates, including across the end of summer time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contracts.common import ActLine, ClaimContent, Fund, Nomenclature, Profession
from services.claims.domain.deadlines import DeadlineError, check_deadline, last_day_allowed


def claim(*days: date, profession: Profession = Profession.MEDECIN, series: bool = False) -> ClaimContent:
    return ClaimContent(
        submission_id="sub-00000001",
        fund=Fund.CCSS,
        matricule="100001",
        code_fse="A1B2C3",
        profession=profession,
        series=series,
        acts=[ActLine(nomenclature=Nomenclature.NGAP, code="G", coefficient=1, date_of_care=d) for d in days],
    )


def test_five_days_after_the_act_is_the_last_day() -> None:
    assert last_day_allowed(claim(date(2026, 3, 2))) == date(2026, 3, 7)


def test_the_boundary_is_midnight_in_monaco_across_the_summer_time_change() -> None:
    # Summer time ends on 2026-10-25: Monaco is UTC+1 afterwards.
    fse = claim(date(2026, 10, 23))
    check_deadline(fse, datetime(2026, 10, 28, 22, 59, 59, tzinfo=UTC))  # 23:59:59 on the 28th in Monaco
    with pytest.raises(DeadlineError) as refused:
        check_deadline(fse, datetime(2026, 10, 28, 23, 0, 0, tzinfo=UTC))  # 00:00 on the 29th in Monaco
    assert refused.value.code == "DEADLINE_EXCEEDED"


def test_the_boundary_in_summer_time_is_two_hours_before_utc_midnight() -> None:
    fse = claim(date(2026, 7, 1))
    check_deadline(fse, datetime(2026, 7, 6, 21, 59, tzinfo=UTC))
    with pytest.raises(DeadlineError):
        check_deadline(fse, datetime(2026, 7, 6, 22, 0, tzinfo=UTC))


def test_a_series_counts_from_its_last_act() -> None:
    assert last_day_allowed(claim(date(2026, 3, 1), date(2026, 3, 10))) == date(2026, 3, 15)


def test_an_auxiliary_series_may_wait_until_the_end_of_the_following_month() -> None:
    nurse = claim(date(2026, 1, 5), date(2026, 1, 30), profession=Profession.INFIRMIER, series=True)
    assert last_day_allowed(nurse) == date(2026, 2, 28)
    december = claim(date(2026, 12, 31), profession=Profession.MASSEUR_KINESITHERAPEUTE, series=True)
    assert last_day_allowed(december) == date(2027, 1, 31)


def test_a_doctor_series_keeps_the_five_days() -> None:
    assert last_day_allowed(claim(date(2026, 1, 5), series=True)) == date(2026, 1, 10)


def test_an_act_dated_tomorrow_in_monaco_is_refused() -> None:
    with pytest.raises(DeadlineError) as refused:
        check_deadline(claim(date(2026, 7, 2)), datetime(2026, 7, 1, 21, 59, tzinfo=UTC))
    assert refused.value.code == "ACT_IN_FUTURE"
    check_deadline(claim(date(2026, 7, 2)), datetime(2026, 7, 1, 22, 0, tzinfo=UTC))  # already the 2nd there


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        check_deadline(claim(date(2026, 7, 1)), datetime(2026, 7, 1, 12, 0))
