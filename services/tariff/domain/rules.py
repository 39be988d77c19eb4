"""The pricing rules as values (rates, fee maxima, association rules, who may bill what), read from
data/rules.toml so that changing a rate is a data change, not a code change."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from contracts.common import CardColour, Fund, Nomenclature


@dataclass(frozen=True)
class Association:
    rates: tuple[Decimal, ...]
    others: Decimal

    def rate(self, rank: int) -> Decimal:
        return self.rates[rank] if rank < len(self.rates) else self.others


@dataclass(frozen=True)
class NgapException:
    keys: frozenset[str]
    when_with: frozenset[str]


@dataclass(frozen=True)
class FullRateThreshold:
    fund: Fund
    nomenclature: Nomenclature
    minimum_tariff: Decimal
    excluded_prefixes: tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    rates: dict[tuple[Fund, Nomenclature], Decimal]
    etm_rate: Decimal
    thresholds: tuple[FullRateThreshold, ...]
    fee_maximum: dict[CardColour, Decimal]
    majorations: frozenset[str]
    ngap_association: Association
    ngap_exceptions: tuple[NgapException, ...]
    ngap_extra_professions: dict[str, frozenset[str]]
    coefficient_maximum: dict[str, Decimal]
    ccam_association: Association
    ccam_full_rate_prefixes: tuple[str, ...]
    ccam_modifiers: dict[str, Decimal]
    ccam_professions: dict[str, tuple[str, ...]]

    def with_fee_maximum(self, colour: CardColour, maximum: Decimal) -> Rules:
        return replace(self, fee_maximum={**self.fee_maximum, colour: maximum})

    def max_coefficient(self, key: str) -> Decimal:
        if key in self.majorations:
            return Decimal(1)
        return self.coefficient_maximum.get(key, self.coefficient_maximum["default"])

    def may_bill_ccam(self, profession: str, code: str) -> bool:
        return any(code.startswith(prefix) for prefix in self.ccam_professions.get(profession, ()))

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Rules:
        refund, ngap, ccam = data["reimbursement"], data["ngap"], data["ccam"]
        return cls(
            rates={
                (Fund(fund), Nomenclature(kind)): Decimal(rate)
                for fund, by_kind in refund["rates"].items()
                for kind, rate in by_kind.items()
            },
            etm_rate=Decimal(refund["etm_rate"]),
            thresholds=tuple(
                FullRateThreshold(
                    Fund(t["fund"]),
                    Nomenclature(t["nomenclature"]),
                    Decimal(t["minimum_tariff"]),
                    tuple(t["excluded_prefixes"]),
                )
                for t in refund.get("full_rate_thresholds", [])
            ),
            fee_maximum={colour: Decimal(data["fees"][colour.value]) for colour in CardColour},
            majorations=frozenset(ngap["majorations"]),
            ngap_association=_association(ngap),
            ngap_exceptions=tuple(
                NgapException(frozenset(e["keys"]), frozenset(e["when_with"])) for e in ngap["exceptions"]
            ),
            ngap_extra_professions={p: frozenset(k) for p, k in ngap["extra_professions"].items()},
            coefficient_maximum={k: Decimal(v) for k, v in ngap["coefficient_maximum"].items()},
            ccam_association=_association(ccam),
            ccam_full_rate_prefixes=tuple(ccam["full_rate_prefixes"]),
            ccam_modifiers={k: Decimal(v) for k, v in ccam["modifiers"].items()},
            ccam_professions={p: tuple(prefixes) for p, prefixes in ccam["professions"].items()},
        )


def _association(section: dict[str, Any]) -> Association:
    return Association(
        tuple(Decimal(r) for r in section["association_rates"]), Decimal(section["association_others"])
    )
