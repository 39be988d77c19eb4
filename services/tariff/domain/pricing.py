"""Pricing a claim: base tariff per line, fee modulation, reimbursement and the HNP split.

Amounts are Decimal; each line's base and reimbursement are rounded to the cent (half up) once, where
they are computed; totals are sums of rounded lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from contracts.common import ActLine, CardColour, ClaimContent, Nomenclature
from services.tariff.domain.nomenclature import Nomenclature as Tables

CENT = Decimal("0.01")
STANDARD_RATE = Decimal("0.80")
ETM_RATE = Decimal("1.00")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Coverage:
    """What eligibility established for the claim's beneficiary."""

    card_colour: CardColour | None
    etm: bool
    overrun_allowed: bool
    hnp_allowed: bool


@dataclass(frozen=True)
class Line:
    nomenclature: Nomenclature
    code: str
    base: Decimal
    fee: Decimal
    rate: Decimal
    reimbursement: Decimal


@dataclass(frozen=True)
class Priced:
    version: str
    lines: tuple[Line, ...]
    total_base: Decimal
    total_fee: Decimal
    total_reimbursement: Decimal
    patient_share: Decimal
    paid_to_professional: Decimal


class PricingError(ValueError):
    def __init__(self, code: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.line = line


def base_tariff(act: ActLine, index: int, profession: str, tables: Tables) -> Decimal:
    if act.nomenclature is Nomenclature.NGAP:
        key = tables.ngap.get(act.code)
        if key is None or key.value is None:
            raise PricingError(
                "ACT_UNKNOWN", f"acts.{index}.code: no NGAP key {act.code} with a value", index
            )
        if profession not in key.professions:
            raise PricingError(
                "ACT_NOT_BILLABLE_BY_PROFESSION",
                f"acts.{index}.code: {act.code} not billable by {profession}",
                index,
            )
        if act.coefficient is None:
            raise PricingError(
                "COEFFICIENT_OUT_OF_RANGE", f"acts.{index}.coefficient: required for NGAP", index
            )
        return cents(key.value * act.coefficient)
    activity, phase = act.activity or 1, act.phase or 0
    ccam = tables.ccam.get((act.code, activity, phase))
    if ccam is None:
        known = any(code == act.code for code, _, _ in tables.ccam)
        code = "ACT_INVALID_ACTIVITY_OR_PHASE" if known else "ACT_UNKNOWN"
        raise PricingError(
            code, f"acts.{index}: no CCAM act {act.code} activity {activity} phase {phase}", index
        )
    if ccam.tariff is None:
        raise PricingError("ACT_UNKNOWN", f"acts.{index}.code: {act.code} is not reimbursable", index)
    return ccam.tariff


def price(claim: ClaimContent, coverage: Coverage, tables: Tables) -> Priced:
    if claim.hnp and not coverage.hnp_allowed:
        raise PricingError("HNP_NOT_ALLOWED", "hnp: not open for this card colour")
    rate = ETM_RATE if coverage.etm else STANDARD_RATE
    lines = []
    for index, act in enumerate(claim.acts):
        base = base_tariff(act, index, claim.profession.value, tables)
        fee = act.fee if act.fee is not None else base
        if fee > base and not coverage.overrun_allowed:
            raise PricingError("OVERRUN_FORBIDDEN", f"acts.{index}.fee: above the tariff {base}", index)
        lines.append(Line(act.nomenclature, act.code, base, fee, rate, cents(base * rate)))
    total_base = sum((line.base for line in lines), Decimal(0))
    total_fee = sum((line.fee for line in lines), Decimal(0))
    reimbursement = sum((line.reimbursement for line in lines), Decimal(0))
    return Priced(
        version=tables.version,
        lines=tuple(lines),
        total_base=total_base,
        total_fee=total_fee,
        total_reimbursement=reimbursement,
        patient_share=total_fee - reimbursement,
        paid_to_professional=reimbursement if claim.hnp else Decimal(0),
    )
