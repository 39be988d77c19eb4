"""Between the contracts' models and the domain's values."""

from __future__ import annotations

from contracts.tariff import CcamActValue, NgapKeyValue, PricedLine
from services.tariff.domain.nomenclature import CcamAct, NgapKey
from services.tariff.domain.pricing import Priced


def ngap_key(value: NgapKeyValue) -> NgapKey:
    return NgapKey(
        value.key, value.label, value.value, frozenset(value.professions), value.confidence, value.source
    )


def ccam_act(value: CcamActValue) -> CcamAct:
    return CcamAct(
        value.code,
        value.activity,
        value.phase,
        value.label,
        value.tariff,
        value.tariff_non_optam,
        value.prior_approval,
        frozenset(value.modifiers),
        value.exo_tm,
        value.regroupement,
        value.confidence,
    )


def priced_lines(priced: Priced) -> list[PricedLine]:
    return [PricedLine(**line.__dict__) for line in priced.lines]


def amounts(priced: Priced) -> dict[str, object]:
    """The claim-level figures, shared by the preview's answer and the ClaimPriced event."""
    return {
        "tariff_version": priced.version,
        "lines": priced_lines(priced),
        "total_base": priced.total_base,
        "total_fee": priced.total_fee,
        "total_reimbursement": priced.total_reimbursement,
        "total_overrun": priced.total_overrun,
        "patient_share": priced.patient_share,
        "paid_to_professional": priced.paid_to_professional,
        "paid_to_insured": priced.paid_to_insured,
        "patient_pays_professional": priced.patient_pays_professional,
    }
