"""Pricing rules beyond the worked examples: rounding place, association ranking, effective dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contracts.common import ActLine, CardColour, Nomenclature
from services.tariff.domain.errors import PricingError
from services.tariff.domain.nomenclature import Catalogue, NgapKey, TableVersion
from services.tariff.domain.pricing import price
from services.tariff.domain.publication import AmendmentError, amended
from services.tariff.domain.rules import Rules
from tests.tariff.examples import CCSS, DENT, IDE, MED, VERTE, ccam, claim, cover, ngap


def test_each_line_is_rounded_once_and_the_total_is_their_sum(catalogue: Catalogue, rules: Rules) -> None:
    priced = price(claim(CCSS, DENT, ccam("HBMD053"), ccam("HBMD053")), cover(VERTE), catalogue, rules)
    assert [line.reimbursement for line in priced.lines] == [Decimal("24.38"), Decimal("24.38")]
    assert priced.total_reimbursement == Decimal("48.76")  # not cents(60.94 x 0.8) = 48.75


def test_art_11b_ranks_by_coefficient_not_by_order(catalogue: Catalogue, rules: Rules) -> None:
    priced = price(
        claim(CCSS, IDE, ngap("AMI", "1"), ngap("AMI", "2"), ngap("AMI", "4")), cover(VERTE), catalogue, rules
    )
    assert [line.association_rate for line in priced.lines] == [Decimal(0), Decimal("0.50"), Decimal(1)]


def test_acts_on_different_days_are_different_sessions(catalogue: Catalogue, rules: Rules) -> None:
    acts = (ngap("AMI", "2"), ngap("AMI", "2", day=date(2026, 3, 3)))
    priced = price(claim(CCSS, IDE, *acts), cover(VERTE), catalogue, rules)
    assert priced.total_base == Decimal("12.60")


def test_majoration_is_neither_ranked_nor_reduced(catalogue: Catalogue, rules: Rules) -> None:
    priced = price(claim(CCSS, MED, ngap("G"), ngap("MN", None)), cover(VERTE), catalogue, rules)
    assert [line.base for line in priced.lines] == [Decimal("30.00"), Decimal("35.00")]


def test_a_line_carries_its_weakest_confidence(catalogue: Catalogue, rules: Rules) -> None:
    priced = price(claim(CCSS, MED, ngap("G", majorations=["MN"])), cover(VERTE), catalogue, rules)
    assert priced.lines[0].confidence == "MEDIUM"  # G is SOLID, MN MEDIUM


def test_a_later_version_prices_only_claims_from_its_date(catalogue: Catalogue, rules: Rules) -> None:
    base = catalogue.in_force(Nomenclature.NGAP, date(2026, 3, 2))
    assert base is not None
    raised = NgapKey("G", "Consultation", Decimal("31.50"), frozenset({"medecin"}), "UNCERTAIN", "test")
    later = amended(base, "NGAP-TEST-2026-07", Nomenclature.NGAP, date(2026, 7, 1), "test", ngap=[raised])
    both = Catalogue([*catalogue.versions(), later])
    before = price(claim(CCSS, MED, ngap("G", day=date(2026, 6, 30))), cover(VERTE), both, rules)
    after = price(claim(CCSS, MED, ngap("G", day=date(2026, 7, 1))), cover(VERTE), both, rules)
    assert (before.total_base, after.total_base) == (Decimal("30.00"), Decimal("31.50"))
    assert (before.version, after.version) == (base.version, "NGAP-TEST-2026-07")
    assert base.ngap["G"].value == Decimal("30.00")  # the old version is untouched


def test_an_amendment_must_follow_its_base(catalogue: Catalogue) -> None:
    base = catalogue.in_force(Nomenclature.NGAP, date(2026, 3, 2))
    with pytest.raises(AmendmentError, match="effective_from"):
        amended(base, "X-1", Nomenclature.NGAP, date(2020, 1, 1), "test")
    with pytest.raises(AmendmentError, match="based_on"):
        amended(base, "X-2", Nomenclature.CCAM, date(2027, 1, 1), "test")


def test_withdrawn_codes_become_unknown_from_the_new_date(catalogue: Catalogue, rules: Rules) -> None:
    base = catalogue.in_force(Nomenclature.CCAM, date(2026, 3, 2))
    later = amended(base, "CCAM-TEST", Nomenclature.CCAM, date(2026, 9, 1), "t", withdrawn=["HBMD053"])
    both = Catalogue([*catalogue.versions(), later])
    with pytest.raises(PricingError) as refused:
        price(claim(CCSS, DENT, ccam("HBMD053", day=date(2026, 9, 1))), cover(VERTE), both, rules)
    assert refused.value.code == "ACT_UNKNOWN"
    assert price(claim(CCSS, DENT, ccam("HBMD053")), cover(VERTE), both, rules).total_base == Decimal("30.47")


def test_fee_maximum_is_configurable(catalogue: Catalogue, rules: Rules) -> None:
    stricter = rules.with_fee_maximum(CardColour.ROSE, Decimal("1.10"))
    with pytest.raises(PricingError) as refused:
        price(claim(CCSS, MED, ngap("G", weighting="1.2")), cover(CardColour.ROSE), catalogue, stricter)
    assert refused.value.code == "FEE_ABOVE_MAXIMUM"
    assert refused.value.line == 0


def test_empty_catalogue_prices_nothing(rules: Rules) -> None:
    with pytest.raises(PricingError) as refused:
        price(claim(CCSS, MED, ngap("G")), cover(VERTE), Catalogue(), rules)
    assert refused.value.code == "ACT_UNKNOWN"


def test_versions_are_ordered_by_effective_date() -> None:
    first = TableVersion.of_ngap("A", date(2026, 1, 1), "s", [])
    second = TableVersion.of_ngap("B", date(2026, 6, 1), "s", [])
    catalogue = Catalogue([second, first])
    assert catalogue.in_force(Nomenclature.NGAP, date(2025, 12, 31)) is None
    assert catalogue.in_force(Nomenclature.NGAP, date(2026, 5, 31)) is first
    assert catalogue.in_force(Nomenclature.NGAP, date(2026, 6, 1)) is second


@pytest.mark.parametrize(
    ("act", "code"),
    [
        (ngap("MN", "2"), "COEFFICIENT_OUT_OF_RANGE"),
        (ngap("G", modifiers=["F"]), "MODIFIER_NOT_ALLOWED"),
        (ngap("G", majorations=["AMI"]), "ACT_UNKNOWN"),
        (ccam("DEQP003", coefficient="2"), "COEFFICIENT_OUT_OF_RANGE"),
        (ccam("DEQP003", majorations=["MN"]), "ACT_UNKNOWN"),
        (ngap("G", None), "COEFFICIENT_OUT_OF_RANGE"),
    ],
)
def test_mixed_up_codings_are_refused(act: ActLine, code: str, catalogue: Catalogue, rules: Rules) -> None:
    with pytest.raises(PricingError) as refused:
        price(claim(CCSS, MED, act), cover(VERTE), catalogue, rules)
    assert (refused.value.code, refused.value.line) == (code, 0)


def test_ccam_modifier_adds_its_uncertain_amount(catalogue: Catalogue, rules: Rules) -> None:
    priced = price(claim(CCSS, MED, ccam("DEQP003", modifiers=["F"])), cover(VERTE), catalogue, rules)
    assert priced.lines[0].base == Decimal("33.83")  # 14.77 + F 19.06 (UNCERTAIN)
    assert priced.lines[0].confidence == "UNCERTAIN"
