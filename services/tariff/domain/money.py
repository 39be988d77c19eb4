"""The one place where money is rounded: each amount of a line (base, fee, reimbursement) is computed
exactly in Decimal and rounded to the cent, half up, once, when the line is priced. Totals are sums of
rounded lines, so that the total is always the sum of the lines shown."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def total(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, ZERO)
