from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contracts.common import ActLine, CardColour, ClaimContent, Fund, Nomenclature, Profession
from services.tariff.domain.nomenclature import load
from services.tariff.domain.pricing import Coverage, PricingError, price

VERTE = Coverage(CardColour.VERTE, etm=False, overrun_allowed=False, hnp_allowed=True)
ROSE = Coverage(CardColour.ROSE, etm=False, overrun_allowed=True, hnp_allowed=False)


def claim(*acts: ActLine, profession: Profession = Profession.MEDECIN, hnp: bool = False) -> ClaimContent:
    return ClaimContent(
        submission_id="sub-00000001",
        fund=Fund.CCSS,
        matricule="100001",
        code_fse="A1B2C3",
        profession=profession,
        hnp=hnp,
        acts=list(acts),
    )


def ngap(code: str, coefficient: str, fee: str | None = None) -> ActLine:
    return ActLine(
        nomenclature=Nomenclature.NGAP,
        code=code,
        coefficient=Decimal(coefficient),
        date_of_care=date(2026, 3, 2),
        fee=Decimal(fee) if fee else None,
    )


def ccam(code: str) -> ActLine:
    return ActLine(nomenclature=Nomenclature.CCAM, code=code, date_of_care=date(2026, 3, 2))


def test_general_practitioner_consultation_at_80_percent() -> None:
    priced = price(claim(ngap("G", "1")), VERTE, load())
    assert (priced.total_base, priced.total_reimbursement, priced.patient_share) == (
        Decimal("30.00"),
        Decimal("24.00"),
        Decimal("6.00"),
    )


def test_etm_reimburses_the_whole_base() -> None:
    etm = Coverage(CardColour.VERTE, etm=True, overrun_allowed=False, hnp_allowed=True)
    assert price(claim(ngap("G", "1")), etm, load()).total_reimbursement == Decimal("30.00")


def test_ccam_dental_restoration_rounds_to_the_cent_half_up() -> None:
    priced = price(claim(ccam("HBMD053"), profession=Profession.CHIRURGIEN_DENTISTE), VERTE, load())
    assert priced.total_base == Decimal("30.47")
    assert priced.total_reimbursement == Decimal("24.38")  # 24.376


def test_hnp_pays_the_professional_the_reimbursable_part() -> None:
    priced = price(claim(ngap("G", "1"), hnp=True), VERTE, load())
    assert priced.paid_to_professional == Decimal("24.00")


def test_verte_forbids_an_overrun_and_rose_allows_it_unreimbursed() -> None:
    with pytest.raises(PricingError) as refused:
        price(claim(ngap("G", "1", fee="36.00")), VERTE, load())
    assert refused.value.code == "OVERRUN_FORBIDDEN"
    priced = price(claim(ngap("G", "1", fee="36.00")), ROSE, load())
    assert (priced.total_fee, priced.total_reimbursement) == (Decimal("36.00"), Decimal("24.00"))


@pytest.mark.parametrize(
    ("act", "profession", "code"),
    [
        (ngap("ZZZ", "1"), Profession.MEDECIN, "ACT_UNKNOWN"),
        (ngap("AMI", "1"), Profession.MEDECIN, "ACT_NOT_BILLABLE_BY_PROFESSION"),
        (ccam("ZZZZ999"), Profession.MEDECIN, "ACT_UNKNOWN"),
        (
            ActLine(
                nomenclature=Nomenclature.CCAM, code="HBMD053", activity=4, date_of_care=date(2026, 3, 2)
            ),
            Profession.CHIRURGIEN_DENTISTE,
            "ACT_INVALID_ACTIVITY_OR_PHASE",
        ),
    ],
)
def test_pricing_rejections_have_stable_codes(act: ActLine, profession: Profession, code: str) -> None:
    with pytest.raises(PricingError) as refused:
        price(claim(act, profession=profession), VERTE, load())
    assert refused.value.code == code
    assert refused.value.line == 0


def test_hnp_refused_where_the_card_does_not_allow_it() -> None:
    with pytest.raises(PricingError) as refused:
        price(claim(ngap("G", "1"), hnp=True), ROSE, load())
    assert refused.value.code == "HNP_NOT_ALLOWED"
