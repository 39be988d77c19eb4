"""Resolving one coded act against the table in force on its date of care: its tariff before any
association reduction, its majorations or modifiers, and whether it takes part in the ranking."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from contracts.common import ActLine, Nomenclature
from services.tariff.domain.errors import PricingError
from services.tariff.domain.nomenclature import Catalogue, NgapKey, TableVersion, weakest
from services.tariff.domain.rules import Rules


@dataclass(frozen=True)
class Resolved:
    index: int
    act: ActLine
    version: str
    amount: Decimal  # the act's own tariff (value x coefficient, or the CCAM tariff), unrounded
    extras: Decimal  # majorations (NGAP) or modifiers (CCAM), never reduced by association
    confidence: str
    majoration: bool  # an NGAP majoration coded as its own line: never ranked


def resolve(act: ActLine, index: int, profession: str, catalogue: Catalogue, rules: Rules) -> Resolved:
    table = catalogue.in_force(act.nomenclature, act.date_of_care)
    if table is None:
        raise PricingError(
            "ACT_UNKNOWN", f"acts.{index}.date_of_care: no {act.nomenclature} table in force", index
        )
    if act.nomenclature is Nomenclature.NGAP:
        return _ngap(act, index, profession, table, rules)
    return _ccam(act, index, profession, table, rules)


def _ngap_key(table: TableVersion, code: str, index: int, profession: str, rules: Rules) -> NgapKey:
    key = table.ngap.get(code)
    if key is None or key.value is None:
        raise PricingError("ACT_UNKNOWN", f"acts.{index}.code: no NGAP key with a value", index)
    extra = rules.ngap_extra_professions.get(profession, frozenset())
    if profession not in key.professions and code not in extra:
        raise PricingError(
            "ACT_NOT_BILLABLE_BY_PROFESSION", f"acts.{index}.code: not billable by {profession}", index
        )
    return key


def _ngap(act: ActLine, index: int, profession: str, table: TableVersion, rules: Rules) -> Resolved:
    key = _ngap_key(table, act.code, index, profession, rules)
    assert key.value is not None
    majoration = act.code in rules.majorations
    coefficient = act.coefficient if act.coefficient is not None else (Decimal(1) if majoration else None)
    if coefficient is None or coefficient > rules.max_coefficient(act.code):
        raise PricingError(
            "COEFFICIENT_OUT_OF_RANGE",
            f"acts.{index}.coefficient: required, at most {rules.max_coefficient(act.code)}",
            index,
        )
    if act.modifiers:
        raise PricingError("MODIFIER_NOT_ALLOWED", f"acts.{index}.modifiers: CCAM only", index)
    confidences = [key.confidence]
    extras = Decimal(0)
    for position, code in enumerate(act.majorations):
        if code not in rules.majorations:
            raise PricingError("ACT_UNKNOWN", f"acts.{index}.majorations.{position}: not a majoration", index)
        extra = _ngap_key(table, code, index, profession, rules)
        assert extra.value is not None
        extras += extra.value
        confidences.append(extra.confidence)
    return Resolved(
        index, act, table.version, key.value * coefficient, extras, weakest(*confidences), majoration
    )


def _ccam(act: ActLine, index: int, profession: str, table: TableVersion, rules: Rules) -> Resolved:
    if act.coefficient is not None:
        raise PricingError("COEFFICIENT_OUT_OF_RANGE", f"acts.{index}.coefficient: NGAP only", index)
    if act.majorations:
        raise PricingError("ACT_UNKNOWN", f"acts.{index}.majorations: NGAP only", index)
    activity, phase = act.activity or 1, act.phase or 0
    found = table.ccam.get((act.code, activity, phase))
    if found is None:
        known = act.code in table.ccam_codes
        raise PricingError(
            "ACT_INVALID_ACTIVITY_OR_PHASE" if known else "ACT_UNKNOWN",
            f"acts.{index}.{'activity' if known else 'code'}: no CCAM act with this activity and phase",
            index,
        )
    if found.tariff is None:
        raise PricingError("ACT_UNKNOWN", f"acts.{index}.code: not reimbursable (no tariff)", index)
    if not rules.may_bill_ccam(profession, act.code):
        raise PricingError(
            "ACT_NOT_BILLABLE_BY_PROFESSION", f"acts.{index}.code: not billable by {profession}", index
        )
    confidences = [found.confidence]
    extras = Decimal(0)
    for position, modifier in enumerate(act.modifiers):
        if modifier not in found.modifiers:
            raise PricingError(
                "MODIFIER_NOT_ALLOWED", f"acts.{index}.modifiers.{position}: not allowed for this act", index
            )
        if modifier in rules.ccam_modifiers:
            extras += rules.ccam_modifiers[modifier]
        confidences.append("UNCERTAIN")
    return Resolved(index, act, table.version, found.tariff, extras, weakest(*confidences), False)
