"""The nomenclature tables as values: NGAP key letters and CCAM acts, loaded from the shipped data."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent.parent / "data"
NGAP_VERSION = "NGAP-2024-12-22"
CCAM_VERSION = "CCAM-v81"


@dataclass(frozen=True)
class NgapKey:
    key: str
    label: str
    value: Decimal | None
    professions: frozenset[str]
    confidence: str


@dataclass(frozen=True)
class CcamAct:
    code: str
    activity: int
    phase: int
    label: str
    tariff: Decimal | None
    prior_approval: bool
    modifiers: frozenset[str]


@dataclass(frozen=True)
class Nomenclature:
    version: str
    ngap: dict[str, NgapKey]
    ccam: dict[tuple[str, int, int], CcamAct]


def _decimal(text: str) -> Decimal | None:
    return Decimal(text) if text.strip() else None


def _modifiers(text: str) -> frozenset[str]:
    return frozenset(m.strip() for m in text.strip("[] ").split(",") if m.strip())


@cache
def load() -> Nomenclature:
    with (DATA / "ngap_keys.csv").open(encoding="utf-8") as handle:
        ngap = {
            row["key"]: NgapKey(
                key=row["key"],
                label=row["label"],
                value=_decimal(row["value_eur"]),
                professions=frozenset(row["profession"].split("|")),
                confidence=row["source"].split(":")[0].strip(),
            )
            for row in csv.DictReader(handle)
        }
    ccam: dict[tuple[str, int, int], CcamAct] = {}
    with (DATA / "ccam_v81_all_acts.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row["activity"]:
                continue
            act = CcamAct(
                code=row["code"],
                activity=int(row["activity"]),
                phase=int(row["phase"] or 0),
                label=row["label"],
                tariff=_decimal(row["tariff_s1_optam_eur"]),
                prior_approval=row["accord_prealable"].strip().upper() == "AP",
                modifiers=_modifiers(row["modificateurs"]),
            )
            ccam.setdefault((act.code, act.activity, act.phase), act)
    return Nomenclature(version=f"{NGAP_VERSION}+{CCAM_VERSION}", ngap=ngap, ccam=ccam)
