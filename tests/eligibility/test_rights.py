"""The claim step's rules over the registry's facts (fast, no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from contracts.common import ActLine, CardColour, Nomenclature
from services.eligibility.domain.approvals import Approval, ApprovalStatus
from services.eligibility.domain.codes import CodeFse
from services.eligibility.domain.rights import Beneficiary, Household, Period, age_on, check

CODE = b"d" * 32
AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
HOUSEHOLD = Household(
    code=CodeFse(CODE),
    colours={2025: CardColour.ROSE, 2026: CardColour.VERTE},
    members={
        0: Beneficiary(0, (Period(date(2020, 1, 1), None),), (Period(date(2026, 1, 1), date(2026, 6, 30)),)),
        1: Beneficiary(1, (Period(date(2020, 1, 1), date(2025, 12, 31)),), ()),
    },
    approvals={
        "EP-OK": Approval("EP-OK", 0, "NGAP", "TO", ApprovalStatus.GRANTED, date(2026, 12, 31)),
        "EP-WAIT": Approval("EP-WAIT", 0, "NGAP", "TO", ApprovalStatus.PENDING),
        "EP-NO": Approval("EP-NO", 0, "NGAP", "TO", ApprovalStatus.REFUSED),
    },
)


def act(day: date, code: str = "C", nomenclature: str = "NGAP", approval: str | None = None) -> ActLine:
    return ActLine(
        nomenclature=Nomenclature(nomenclature),
        code=code,
        date_of_care=day,
        coefficient=1,
        approval_reference=approval,
    )


def test_open_rights_give_the_card_of_the_year_of_care_and_its_rules() -> None:
    verdict = check(HOUSEHOLD, CODE, AT, 0, [act(date(2026, 3, 1))])
    assert verdict.eligible
    assert verdict.card_colour is CardColour.VERTE
    assert verdict.etm
    assert verdict.hnp_allowed
    assert not verdict.overrun_allowed
    late_2025 = check(HOUSEHOLD, CODE, AT, 0, [act(date(2025, 12, 30))])
    assert late_2025.card_colour is CardColour.ROSE
    assert late_2025.overrun_allowed


def test_a_year_without_its_card_yet_keeps_the_latest_earlier_one() -> None:
    assert HOUSEHOLD.colour_on(date(2027, 1, 15)) is CardColour.VERTE
    assert HOUSEHOLD.colour_on(date(2019, 1, 15)) is CardColour.ROSE
    assert Household(CodeFse(CODE), {}, {}).colour_on(date(2026, 1, 1)) is None


def test_etm_must_cover_every_date_of_care() -> None:
    assert not check(HOUSEHOLD, CODE, AT, 0, [act(date(2026, 6, 30)), act(date(2026, 7, 1))]).etm


def test_rights_closed_on_a_date_of_care() -> None:
    assert check(HOUSEHOLD, CODE, AT, 1, [act(date(2026, 1, 2))]).reason_code == "RIGHTS_CLOSED"
    assert check(HOUSEHOLD, CODE, AT, 1, [act(date(2025, 12, 31))]).eligible


def test_unknown_beneficiary_and_wrong_code() -> None:
    assert check(None, CODE, AT, 0, [act(date(2026, 1, 2))]).reason_code == "BENEFICIARY_UNKNOWN"
    assert check(HOUSEHOLD, CODE, AT, 7, [act(date(2026, 1, 2))]).reason_code == "BENEFICIARY_UNKNOWN"
    assert check(HOUSEHOLD, b"x" * 32, AT, 0, [act(date(2026, 1, 2))]).reason_code == "CODE_FSE_INVALID"


def test_acts_needing_approval_need_a_granted_one_for_that_act() -> None:
    day = date(2026, 3, 1)

    def reason(approval: str | None, code: str = "TO", rank: int = 0) -> str | None:
        return check(HOUSEHOLD, CODE, AT, rank, [act(day, code, approval=approval)]).reason_code

    assert reason(None) == "APPROVAL_MISSING"
    assert reason("EP-UNKNOWN") == "APPROVAL_MISSING"
    assert reason("EP-WAIT") == "APPROVAL_PENDING"
    assert reason("EP-NO") == "APPROVAL_REFUSED"
    assert reason("EP-OK") is None
    assert reason(None, code="C") is None
    assert check(HOUSEHOLD, CODE, AT, 0, [act(date(2027, 1, 4), "TO", approval="EP-OK")]).reason_code == (
        "APPROVAL_MISSING"
    )
    assert check(HOUSEHOLD, CODE, AT, 0, [act(day, "HFFC018", "CCAM", "EP-OK")]).reason_code == (
        "APPROVAL_MISSING"
    )


def test_an_old_code_is_accepted_only_during_the_grace_period() -> None:
    old, new = b"o" * 32, b"n" * 32
    grace = timedelta(days=30)
    codes = CodeFse().issued(old, AT - timedelta(days=365), grace).issued(new, AT, grace)
    household = Household(codes, HOUSEHOLD.colours, HOUSEHOLD.members)
    day = [act(date(2026, 3, 1))]
    assert check(household, new, AT, 0, day).eligible
    assert check(household, old, AT + grace - timedelta(seconds=1), 0, day).eligible
    assert check(household, old, AT + grace, 0, day).reason_code == "CODE_FSE_INVALID"
    assert codes.issued(new, AT + grace, grace) == codes
    assert codes.issued(old, AT, grace) == codes


def test_codes_arriving_out_of_order_end_as_in_order() -> None:
    old, new = b"o" * 32, b"n" * 32
    grace = timedelta(days=30)
    in_order = CodeFse().issued(old, AT - timedelta(days=365), grace).issued(new, AT, grace)
    late = CodeFse().issued(new, AT, grace).issued(old, AT - timedelta(days=365), grace)
    assert late == in_order


def test_age_on_a_day() -> None:
    assert age_on(date(2014, 9, 17), date(2026, 9, 16)) == 11
    assert age_on(date(2014, 9, 17), date(2026, 9, 17)) == 12
