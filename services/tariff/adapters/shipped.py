"""The nomenclature versions shipped with the service (data/), read from the copied official CSV files:
the first versions the loader stores in the database. Later versions arrive as events."""

from __future__ import annotations

import csv
import tomllib
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from services.tariff.domain.nomenclature import CcamAct, NgapKey, TableVersion
from services.tariff.domain.rules import Rules

DATA = Path(__file__).parent.parent / "data"
NGAP_VERSION = "NGAP-FR-2024-12-22"
CCAM_VERSION = "CCAM-v81"
NGAP_SOURCE = "ngap_keys.csv: French NGAP values in force on 2024-12-22, one source per row (SOURCES.md)"
CCAM_SOURCE = "ccam_v81_all_acts.csv: CNAM CCAM version 81 applicable 01/01/2026 (SOURCES.md)"
PROFESSION_ALIASES = {"chirurgien-dentiste ODF": "orthodontiste"}


def decimal_or_none(text: str | None) -> Decimal | None:
    return Decimal(text) if text and text.strip() else None


def modifiers_of(text: str) -> frozenset[str]:
    return frozenset(m.strip() for m in text.strip("[] ").split(",") if m.strip())


@cache  # the shipped files never change while the process runs
def ngap_version(path: Path = DATA / "ngap_keys.csv") -> TableVersion:
    with path.open(encoding="utf-8") as handle:
        keys = [
            NgapKey(
                key=row["key"],
                label=row["label"],
                value=decimal_or_none(row["value_eur"]),
                professions=frozenset(PROFESSION_ALIASES.get(p, p) for p in row["profession"].split("|")),
                confidence=row["source"].split(":")[0].strip().split(" ")[0],
                source=row["source"],
            )
            for row in csv.DictReader(handle)
        ]
    return TableVersion.of_ngap(NGAP_VERSION, date(2024, 12, 22), NGAP_SOURCE, keys)


@cache
def ccam_version(path: Path = DATA / "ccam_v81_all_acts.csv") -> TableVersion:
    acts: dict[tuple[str, int, int], CcamAct] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row["activity"]:
                continue  # 59 codes listed with no activity and no tariff
            act = CcamAct(
                code=row["code"],
                activity=int(row["activity"]),
                phase=int(row["phase"] or 0),
                label=row["label"],
                tariff=decimal_or_none(row["tariff_s1_optam_eur"]),
                tariff_non_optam=decimal_or_none(row["tariff_hors_optam_eur"]),
                prior_approval=row["accord_prealable"].strip().upper() == "AP",
                modifiers=modifiers_of(row["modificateurs"]),
                exo_tm=row["exo_tm_code"],
                regroupement=row["regroupement"],
            )
            key = (act.code, act.activity, act.phase)
            if key in acts:  # BELA129: its anesthesia row is coded activity 1 in the source (NOTES §1)
                acts[key] = CcamAct(**{**acts[key].__dict__, "confidence": "UNCERTAIN"})
                continue
            acts[key] = act
    return TableVersion.of_ccam(CCAM_VERSION, date(2026, 1, 1), CCAM_SOURCE, acts.values())


def shipped_versions() -> list[TableVersion]:
    return [ngap_version(), ccam_version()]


def read_rules(path: Path = DATA / "rules.toml") -> Rules:
    with path.open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    return Rules.from_mapping(data)
