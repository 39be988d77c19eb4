"""Pricing a claim: the base of each line (tariff in force on the date of care, association rate,
majorations or modifiers), its fee (card colour), its reimbursement (fund, kind of act, ETM) and the
split between the fund, the professional (HNP) and the patient. Rounding: see domain/money.py."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from contracts.common import ClaimContent, Nomenclature
from services.tariff.domain.acts import resolve
from services.tariff.domain.association import association_rates
from services.tariff.domain.coverage import Coverage
from services.tariff.domain.errors import PricingError
from services.tariff.domain.modulation import fee_for
from services.tariff.domain.money import ZERO, cents, total
from services.tariff.domain.nomenclature import Catalogue
from services.tariff.domain.reimbursement import rate_for
from services.tariff.domain.rules import Rules

__all__ = ["Coverage", "Line", "Priced", "PricingError", "price"]


@dataclass(frozen=True)
class Line:
    nomenclature: Nomenclature
    code: str
    base: Decimal
    fee: Decimal
    rate: Decimal
    reimbursement: Decimal
    tariff_version: str
    association_rate: Decimal
    overrun: Decimal
    confidence: str


@dataclass(frozen=True)
class Priced:
    version: str
    lines: tuple[Line, ...]
    total_base: Decimal
    total_fee: Decimal
    total_reimbursement: Decimal
    total_overrun: Decimal
    patient_share: Decimal
    paid_to_professional: Decimal  # HNP: the fund pays the professional its reimbursement
    paid_to_insured: Decimal  # otherwise the fund reimburses the insured, who paid the fee
    patient_pays_professional: Decimal  # the fee (or, under HNP, the patient's share)


def price(claim: ClaimContent, coverage: Coverage, catalogue: Catalogue, rules: Rules) -> Priced:
    if claim.hnp and not coverage.hnp_allowed:
        raise PricingError("HNP_NOT_ALLOWED", "hnp: not open for this beneficiary's card")
    profession = claim.profession.value
    resolved = [resolve(act, i, profession, catalogue, rules) for i, act in enumerate(claim.acts)]
    associations = association_rates(resolved, rules)
    lines = []
    for line in resolved:
        association = associations[line.index]
        base = cents(line.amount * association + line.extras)
        fee = fee_for(line.act, line.index, base, coverage, rules)
        rate = rate_for(claim.fund, line, coverage.etm, rules)
        reimbursement = cents(min(base, fee) * rate)
        overrun = max(fee - base, ZERO)
        lines.append(
            Line(
                line.act.nomenclature,
                line.act.code,
                base,
                fee,
                rate,
                reimbursement,
                line.version,
                association,
                overrun,
                line.confidence,
            )
        )
    return _totals(claim.hnp, tuple(lines))


def _totals(hnp: bool, lines: tuple[Line, ...]) -> Priced:
    total_fee = total(line.fee for line in lines)
    reimbursement = total(line.reimbursement for line in lines)
    share = total_fee - reimbursement
    return Priced(
        version="+".join(sorted({line.tariff_version for line in lines})),
        lines=lines,
        total_base=total(line.base for line in lines),
        total_fee=total_fee,
        total_reimbursement=reimbursement,
        total_overrun=total(line.overrun for line in lines),
        patient_share=share,
        paid_to_professional=reimbursement if hnp else ZERO,
        paid_to_insured=ZERO if hnp else reimbursement,
        patient_pays_professional=share if hnp else total_fee,
    )
