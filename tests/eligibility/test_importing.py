"""The initial load's formats: every bad row reported with its line, the good ones grouped."""

from __future__ import annotations

import json

from contracts.common import CardColour, Fund
from services.eligibility.domain.demo_data import SHARES, generate
from services.eligibility.domain.importing import parse

HEADER = (
    "fund,matricule,code_fse,card_year,card_colour,rank,last_name,first_name,birth_date,relationship,"
    "rights_start,rights_end,etm_scope,etm_start,etm_end,complementary_insurer_email,forward_statements"
)
GOOD = "CCSS,120001,QWE123,2026,rose,0,NOTARI,Anna,1970-02-03,insured,2020-01-01,,,,,,false"
CHILD = "CCSS,120001,QWE123,2026,rose,1,NOTARI,Leo,2015-02-03,child,2020-01-01,,ALD,2026-01-01,,,"


def test_csv_reports_each_bad_row_with_its_line_and_loads_the_good_ones() -> None:
    text = "\n".join(
        [
            HEADER,
            GOOD,
            CHILD,
            "CCSS,12,QWE123,2026,rose,2,NOTARI,X,2015-02-03,child,2020-01-01,,,,,,",
            "CCSS,120002,QWE123,2026,violet,0,A,B,1970-01-01,insured,2020-01-01,,,,,,",
            "CCSS,120003,QWE123,2026,verte,0,A,B,1970-01-01,insured,2020-01-01,2019-01-01,,,,,",
            "CCSS,120001,ZZZ999,2026,rose,3,NOTARI,Y,2016-02-03,child,2020-01-01,,,,,,",
            "CCSS,120004,QWE123,2026,verte,0,A,B,1970-01-01,insured,2020-01-01,,,,,,,extra",
        ]
    )
    households, errors = parse(text, "csv")

    assert [(e.line, e.field) for e in errors] == [
        (4, "matricule"),
        (5, "card_colour"),
        (6, "rights_end"),
        (7, "code_fse"),
        (8, "row"),
    ]
    assert all("QWE123" not in e.reason and "violet" not in e.reason for e in errors)
    [household] = households
    assert (household.fund, household.matricule, household.colours) == (
        Fund.CCSS,
        "120001",
        {2026: CardColour.ROSE},
    )
    assert sorted(household.members) == [0, 1]
    assert household.members[1].etm[0].scope == "ALD"


def test_json_lines_and_arrays_number_their_rows() -> None:
    keys = HEADER.split(",")
    row = dict(zip(keys, GOOD.split(","), strict=True))
    lines = [json.dumps(row), "", "not json", json.dumps({**row, "rank": "x"})]
    households, errors = parse("\n".join(lines), "jsonl")
    assert len(households) == 1
    assert [(e.line, e.field) for e in errors] == [(3, "row"), (4, "rank")]

    households, errors = parse(json.dumps([row, 5]), "json")
    assert len(households) == 1
    assert [(e.line, e.field) for e in errors] == [(2, "row")]


def test_demo_data_has_the_colour_shares_of_the_convention() -> None:
    households = generate(2000, 2026)
    for colour, share in SHARES.items():
        count = sum(1 for h in households if h.colours[2026] is colour)
        assert abs(count / len(households) * 100 - share) < 4
    assert any(h.members[0].rights[0].end for h in households)
    assert any(m.etm for h in households for m in h.members.values())
    assert len({(h.fund, h.matricule) for h in households}) == len(households)
