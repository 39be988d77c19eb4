"""The funds' rules shipped as data: derived from the reference, with their source."""

from __future__ import annotations

import csv
from pathlib import Path

from contracts.common import CardColour
from services.eligibility.domain.approvals import ACTS_FILE, acts_needing_approval
from services.eligibility.domain.card_rules import card_rules

REFERENCE = Path("/work/shared/reference/ccam_v81_all_acts.csv")


def test_every_row_names_its_source_and_confidence() -> None:
    with ACTS_FILE.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["source"] for r in rows} == {"ccam-ap", "ngap-to", "dental-prosthesis"}
    assert all(r["confidence"] for r in rows)
    assert {r["confidence"] for r in rows if r["source"] == "dental-prosthesis"} == {"ASSUMPTION"}
    assert ("NGAP", "TO") in acts_needing_approval()


def test_the_ccam_rows_are_exactly_the_acts_flagged_ap() -> None:
    with ACTS_FILE.open(newline="") as handle:
        shipped = {r["code"] for r in csv.DictReader(handle) if r["source"] == "ccam-ap"}
    if REFERENCE.exists():
        with REFERENCE.open(newline="") as handle:
            flagged = {r["code"] for r in csv.DictReader(handle) if r["accord_prealable"] == "AP"}
        assert shipped == flagged
    assert "HFFC018" in shipped


def test_every_colour_has_a_rule() -> None:
    assert set(card_rules()) == set(CardColour)
    assert not card_rules()[CardColour.VERTE].overrun_allowed
