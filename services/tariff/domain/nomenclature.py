"""The nomenclature as versioned values: each NGAP or CCAM table version has an effective date, and a
claim line is priced with the version in force on its date of care."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from contracts.common import Nomenclature as Kind

CONFIDENCE_ORDER = ("SOLID", "MEDIUM", "UNCERTAIN", "ASSUMPTION", "OBSOLETE", "UNKNOWN")


def weakest(*confidences: str) -> str:
    """The least trustworthy of several confidence marks (a priced line is as sure as its weakest value)."""
    ranks = [
        CONFIDENCE_ORDER.index(c) if c in CONFIDENCE_ORDER else len(CONFIDENCE_ORDER) for c in confidences
    ]
    worst = max(ranks, default=0)
    return CONFIDENCE_ORDER[worst] if worst < len(CONFIDENCE_ORDER) else "UNKNOWN"


@dataclass(frozen=True)
class NgapKey:
    key: str
    label: str
    value: Decimal | None
    professions: frozenset[str]
    confidence: str
    source: str


@dataclass(frozen=True)
class CcamAct:
    code: str
    activity: int
    phase: int
    label: str
    tariff: Decimal | None
    tariff_non_optam: Decimal | None
    prior_approval: bool
    modifiers: frozenset[str]
    exo_tm: str
    regroupement: str
    confidence: str = "SOLID"


@dataclass(frozen=True)
class TableVersion:
    """One published version of one nomenclature, in force from `effective_from` until the next one."""

    version: str
    kind: Kind
    effective_from: date
    source: str
    ngap: dict[str, NgapKey] = field(default_factory=dict)
    ccam: dict[tuple[str, int, int], CcamAct] = field(default_factory=dict)
    ccam_codes: frozenset[str] = frozenset()

    @classmethod
    def of_ccam(
        cls, version: str, effective_from: date, source: str, acts: Iterable[CcamAct]
    ) -> TableVersion:
        table = {(a.code, a.activity, a.phase): a for a in acts}
        codes = frozenset(code for code, _, _ in table)
        return cls(version, Kind.CCAM, effective_from, source, ccam=table, ccam_codes=codes)

    @classmethod
    def of_ngap(
        cls, version: str, effective_from: date, source: str, keys: Iterable[NgapKey]
    ) -> TableVersion:
        return cls(version, Kind.NGAP, effective_from, source, ngap={k.key: k for k in keys})


class Catalogue:
    """Every known version of each nomenclature, ordered by effective date; held in memory so that
    pricing never queries the database per act."""

    def __init__(self, versions: Iterable[TableVersion] = ()) -> None:
        self._by_kind: dict[Kind, list[TableVersion]] = {kind: [] for kind in Kind}
        self._dates: dict[Kind, list[date]] = {kind: [] for kind in Kind}
        for version in versions:
            self.add(version)

    def add(self, version: TableVersion) -> None:
        versions = [v for v in self._by_kind[version.kind] if v.version != version.version]
        versions.append(version)
        versions.sort(key=lambda v: (v.effective_from, v.version))
        self._by_kind[version.kind] = versions
        self._dates[version.kind] = [v.effective_from for v in versions]

    def in_force(self, kind: Kind, on: date) -> TableVersion | None:
        position = bisect.bisect_right(self._dates[kind], on)
        return self._by_kind[kind][position - 1] if position else None

    def get(self, version: str) -> TableVersion | None:
        return next((v for vs in self._by_kind.values() for v in vs if v.version == version), None)

    def versions(self) -> list[TableVersion]:
        return [v for kind in Kind for v in self._by_kind[kind]]
