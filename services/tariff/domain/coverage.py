"""What eligibility established for the claim's beneficiary on the date of care."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.common import CardColour


@dataclass(frozen=True)
class Coverage:
    card_colour: CardColour | None
    etm: bool
    overrun_allowed: bool
    hnp_allowed: bool
