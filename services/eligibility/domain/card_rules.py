"""What each card colour allows (HNP, fees above the tariff): data with its source, data/card_rules.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from contracts.common import CardColour

RULES_FILE = Path(__file__).parent.parent / "data" / "card_rules.json"


@dataclass(frozen=True)
class CardRule:
    overrun_allowed: bool
    hnp_allowed: bool


@cache
def card_rules() -> dict[CardColour, CardRule]:
    data = json.loads(RULES_FILE.read_text())["colours"]
    return {
        CardColour(name): CardRule(bool(rule["overrun_allowed"]), bool(rule["hnp_allowed"]))
        for name, rule in data.items()
    }


def rule_for(colour: CardColour | None) -> CardRule:
    """No known colour allows nothing beyond the standard tariff."""
    return card_rules()[colour] if colour else CardRule(overrun_allowed=False, hnp_allowed=False)
