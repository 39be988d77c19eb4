"""Nomenclature versions in the database: stored once, read all at start (pricing reads memory only)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.common import Nomenclature
from services.tariff.adapters.orm import ccam_acts, ngap_keys, versions
from services.tariff.adapters.shipped import decimal_or_none
from services.tariff.domain.nomenclature import CcamAct, NgapKey, TableVersion


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class NomenclatureRepository:
    def __init__(self, session: AsyncConnection) -> None:
        self.session = session

    async def digests(self) -> dict[str, str]:
        rows = await self.session.execute(select(versions.c.version, versions.c.digest))
        return {row.version: row.digest for row in rows}

    async def add(self, table: TableVersion, digest: str, published_at: datetime) -> None:
        await self.session.execute(
            insert(versions).values(
                version=table.version,
                kind=table.kind.value,
                effective_from=table.effective_from,
                source=table.source,
                digest=digest,
                published_at=published_at,
            )
        )
        if table.ngap:
            await self.session.execute(
                insert(ngap_keys), [_ngap_row(table.version, k) for k in table.ngap.values()]
            )
        if table.ccam:
            await self.session.execute(
                insert(ccam_acts), [_ccam_row(table.version, a) for a in table.ccam.values()]
            )

    async def load_all(self) -> list[TableVersion]:
        keys: dict[str, list[NgapKey]] = defaultdict(list)
        for row in await self.session.execute(select(ngap_keys)):
            keys[row.version].append(
                NgapKey(
                    row.key,
                    row.label,
                    decimal_or_none(row.value),
                    frozenset(row.professions.split("|")),
                    row.confidence,
                    row.source,
                )
            )
        acts: dict[str, list[CcamAct]] = defaultdict(list)
        for row in await self.session.execute(select(ccam_acts)):
            acts[row.version].append(
                CcamAct(
                    row.code,
                    row.activity,
                    row.phase,
                    row.label,
                    decimal_or_none(row.tariff),
                    decimal_or_none(row.tariff_non_optam),
                    row.prior_approval,
                    frozenset(m for m in row.modifiers.split(",") if m),
                    row.exo_tm,
                    row.regroupement,
                    row.confidence,
                )
            )
        loaded = []
        for row in await self.session.execute(select(versions)):
            if Nomenclature(row.kind) is Nomenclature.NGAP:
                loaded.append(
                    TableVersion.of_ngap(row.version, row.effective_from, row.source, keys[row.version])
                )
            else:
                loaded.append(
                    TableVersion.of_ccam(row.version, row.effective_from, row.source, acts[row.version])
                )
        return loaded


def _ngap_row(version: str, key: NgapKey) -> dict[str, Any]:
    return {
        "version": version,
        "key": key.key,
        "label": key.label,
        "value": _text(key.value),
        "professions": "|".join(sorted(key.professions)),
        "confidence": key.confidence,
        "source": key.source,
    }


def _ccam_row(version: str, act: CcamAct) -> dict[str, Any]:
    return {
        "version": version,
        "code": act.code,
        "activity": act.activity,
        "phase": act.phase,
        "label": act.label,
        "tariff": _text(act.tariff),
        "tariff_non_optam": _text(act.tariff_non_optam),
        "prior_approval": act.prior_approval,
        "modifiers": ",".join(sorted(act.modifiers)),
        "exo_tm": act.exo_tm,
        "regroupement": act.regroupement,
        "confidence": act.confidence,
    }
