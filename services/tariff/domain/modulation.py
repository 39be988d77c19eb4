"""Fee modulation by card colour. Verte: the tariff, no overrun. Rose and bulle: a manual fee or the
base times a weighting coefficient, up to the colour's maximum (a multiple of the base, from the rules);
above it the line is refused (the portal's alert). A fee below the base is always accepted."""

from __future__ import annotations

from decimal import Decimal

from contracts.common import ActLine, CardColour
from services.tariff.domain.coverage import Coverage
from services.tariff.domain.errors import PricingError
from services.tariff.domain.money import cents
from services.tariff.domain.rules import Rules


def fee_for(act: ActLine, index: int, base: Decimal, coverage: Coverage, rules: Rules) -> Decimal:
    """The fee of one line: manual fee first, else base x weighting, else the base."""
    if act.fee is not None:
        fee = act.fee
    elif act.weighting is not None:
        fee = cents(base * act.weighting)
    else:
        return base
    if fee <= base:
        return fee
    colour = coverage.card_colour or CardColour.VERTE
    field = "fee" if act.fee is not None else "weighting"
    if colour is CardColour.VERTE or not coverage.overrun_allowed:
        raise PricingError("OVERRUN_FORBIDDEN", f"acts.{index}.{field}: above the tariff {base}", index)
    maximum = cents(base * rules.fee_maximum[colour])
    if fee > maximum:
        raise PricingError(
            "FEE_ABOVE_MAXIMUM", f"acts.{index}.{field}: above the maximum {maximum} for {colour}", index
        )
    return fee
