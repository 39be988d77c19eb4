"""Properties of pricing over generated claims (Hypothesis): totals are sums of lines, no amount is
negative, reimbursement never exceeds the base nor the fee, and the same input gives the same output."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.common import ActLine, CardColour, ClaimContent, Fund, Profession
from services.tariff.domain.coverage import Coverage
from services.tariff.domain.errors import PricingError
from services.tariff.domain.pricing import Priced, price
from services.tariff.domain.rules import Rules
from tests.tariff.examples import ccam, make_catalogue, ngap

CATALOGUE = make_catalogue()
CODES = {
    Profession.MEDECIN: [("NGAP", "G"), ("NGAP", "APC"), ("CCAM", "DEQP003"), ("CCAM", "AHQB033")],
    Profession.CHIRURGIEN_DENTISTE: [("NGAP", "C"), ("CCAM", "HBMD053"), ("CCAM", "LBLD015")],
    Profession.INFIRMIER: [("NGAP", "AMI"), ("NGAP", "AIS"), ("NGAP", "BSB"), ("NGAP", "AMX")],
    Profession.MASSEUR_KINESITHERAPEUTE: [("NGAP", "AMK"), ("NGAP", "AMS")],
}
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900"), places=2)
weights = st.decimals(min_value=Decimal(1), max_value=Decimal(3), places=2)


@st.composite
def acts(draw: st.DrawFn, profession: Profession) -> ActLine:
    kind, code = draw(st.sampled_from(CODES[profession]))
    extra: dict[str, Any] = {"session": draw(st.sampled_from([None, 1, 2]))}
    modulation = draw(st.sampled_from(["none", "fee", "weighting"]))
    if modulation == "fee":
        extra["fee"] = draw(money)
    elif modulation == "weighting":
        extra["weighting"] = draw(weights)
    if kind == "CCAM":
        return ccam(code, **extra)
    coefficient = draw(st.sampled_from(["1", "1.5", "2", "3", "4", "7.5", "8"]))
    return ngap(code, coefficient, **extra)


@st.composite
def cases(draw: st.DrawFn) -> tuple[ClaimContent, Coverage]:
    profession = draw(st.sampled_from(sorted(CODES)))
    hnp = draw(st.booleans())
    colour = draw(st.sampled_from(list(CardColour)))
    content = ClaimContent(
        submission_id="property-0001",
        fund=draw(st.sampled_from(list(Fund))),
        matricule="100001",
        code_fse="A1B2C3",
        profession=profession,
        hnp=hnp,
        acts=draw(st.lists(acts(profession), min_size=1, max_size=6)),
    )
    coverage = Coverage(
        colour, draw(st.booleans()), colour is not CardColour.VERTE, hnp or draw(st.booleans())
    )
    return content, coverage


def priced_or_none(case: tuple[ClaimContent, Coverage], rules: Rules) -> Priced | None:
    try:
        return price(case[0], case[1], CATALOGUE, rules)
    except PricingError:
        return None


RELAXED = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@RELAXED
@given(cases())
def test_totals_are_the_sums_of_the_lines(rules: Rules, case: tuple[ClaimContent, Coverage]) -> None:
    priced = priced_or_none(case, rules)
    if priced is None:
        return
    pairs = [("base", "base"), ("fee", "fee"), ("reimbursement", "reimbursement"), ("overrun", "overrun")]
    for total, field in pairs:
        assert getattr(priced, f"total_{total}") == sum(
            (getattr(line, field) for line in priced.lines), Decimal(0)
        )
    assert priced.patient_share == priced.total_fee - priced.total_reimbursement
    assert priced.paid_to_professional + priced.paid_to_insured == priced.total_reimbursement


@RELAXED
@given(cases())
def test_no_amount_is_negative_and_reimbursement_never_exceeds_the_base(
    rules: Rules, case: tuple[ClaimContent, Coverage]
) -> None:
    priced = priced_or_none(case, rules)
    if priced is None:
        return
    for line in priced.lines:
        assert min(line.base, line.fee, line.reimbursement, line.overrun) >= 0
        assert line.reimbursement <= line.base
        assert line.reimbursement <= line.fee
        assert line.base == line.base.quantize(Decimal("0.01"))
    assert priced.total_reimbursement <= priced.total_base
    assert min(priced.patient_share, priced.patient_pays_professional, priced.paid_to_professional) >= 0


@RELAXED
@given(cases())
def test_same_input_same_output(rules: Rules, case: tuple[ClaimContent, Coverage]) -> None:
    again = (ClaimContent.model_validate_json(case[0].model_dump_json()), case[1])
    first, second = _outcome(case, rules), _outcome(again, rules)
    assert first == second


def _outcome(case: tuple[ClaimContent, Coverage], rules: Rules) -> Priced | str:
    try:
        return price(case[0], case[1], CATALOGUE, rules)
    except PricingError as error:
        return f"{error.code}:{error.line}:{error}"
