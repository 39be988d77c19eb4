"""The worked examples priced by the domain; every cited value checked against the shipped tables."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from services.tariff.adapters.shipped import DATA
from services.tariff.domain.errors import PricingError
from services.tariff.domain.nomenclature import Catalogue
from services.tariff.domain.pricing import price
from services.tariff.domain.rules import Rules
from tests.tariff.examples import CCAM_FILE, Example
from tests.tariff.examples_table import EXAMPLES


def outcome(example: Example, catalogue: Catalogue, rules: Rules) -> dict[str, Decimal] | str:
    try:
        priced = price(example.claim, example.coverage, catalogue, rules)
    except PricingError as error:
        return error.code
    return {k: getattr(priced, k) for k in ("total_base", "total_fee", "total_reimbursement",
                                            "patient_share", "paid_to_professional")}  # fmt: skip


def test_the_table_covers_what_the_issue_asks() -> None:
    assert len(EXAMPLES) >= 30
    assert {e.claim.fund for e in EXAMPLES} == {"CCSS", "CAMTI", "SPME"}
    assert {e.coverage.card_colour for e in EXAMPLES} == {"verte", "rose", "bulle"}
    assert any(e.coverage.etm for e in EXAMPLES)
    assert any(e.claim.hnp for e in EXAMPLES)
    assert any(len(e.claim.acts) > 1 for e in EXAMPLES)
    assert {a.nomenclature for e in EXAMPLES for a in e.claim.acts} == {"NGAP", "CCAM"}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_worked_example(example: Example, catalogue: Catalogue, rules: Rules) -> None:
    assert outcome(example, catalogue, rules) == example.figures()


def test_every_cited_value_is_in_the_shipped_tables() -> None:
    with (DATA / "ngap_keys.csv").open(encoding="utf-8") as handle:
        ngap = {row["key"]: row["value_eur"] for row in csv.DictReader(handle)}
    with (DATA / CCAM_FILE).open(encoding="utf-8") as handle:
        ccam = {
            (row["code"], row["activity"], row["phase"]): row["tariff_s1_optam_eur"]
            for row in csv.DictReader(handle)
        }
    for cite in {c for e in EXAMPLES for c in e.cites}:
        found = (
            ngap.get(cite.code)
            if cite.file == "ngap_keys.csv"
            else ccam.get((cite.code, str(cite.activity), str(cite.phase)))
        )
        assert found == cite.value, cite
