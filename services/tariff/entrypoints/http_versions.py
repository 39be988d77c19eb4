"""The nomenclature over HTTP: the versions in memory, one act as in force on a date, and publishing
a new version (an operator's act, applied by every instance from the fse.tariff stream)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from contracts.common import Nomenclature
from contracts.tariff import NomenclatureVersionPublishedV1
from runtime.http import declared
from runtime.security import CurrentActor, Role, require
from runtime.service import RuntimeDep
from services.tariff.domain.publication import AmendmentError
from services.tariff.entrypoints.deps import StateDep
from services.tariff.service_layer.catalogue import check_publishable, subject_of

router = APIRouter(prefix="/tariff/nomenclature", tags=["nomenclature"])


class VersionOut(BaseModel):
    version: str
    nomenclature: Nomenclature
    effective_from: date
    source: str
    rows: int


class ActOut(BaseModel):
    nomenclature: Nomenclature
    code: str
    tariff_version: str
    label: str
    value: Decimal | None
    confidence: str
    activities: list[tuple[int, int, Decimal | None]] = []
    prior_approval: bool = False


@router.get("/versions", response_model=list[VersionOut])
async def versions(_actor: CurrentActor, state: StateDep) -> list[VersionOut]:
    return [
        VersionOut(
            version=v.version,
            nomenclature=v.kind,
            effective_from=v.effective_from,
            source=v.source,
            rows=len(v.ngap) + len(v.ccam),
        )
        for v in state.catalogue.versions()
    ]


@router.get("/{nomenclature}/{code}", response_model=ActOut, responses=declared(404))
async def act(
    nomenclature: Nomenclature, code: str, on: date, _actor: CurrentActor, state: StateDep
) -> ActOut:
    table = state.catalogue.in_force(nomenclature, on)
    if table is not None and nomenclature is Nomenclature.NGAP and code in table.ngap:
        key = table.ngap[code]
        return ActOut(
            nomenclature=nomenclature,
            code=code,
            tariff_version=table.version,
            label=key.label,
            value=key.value,
            confidence=key.confidence,
        )
    rows = [a for (c, _, _), a in table.ccam.items() if c == code] if table is not None else []
    if table is None or not rows:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "code: not in the table in force on that date")
    main = min(rows, key=lambda a: (a.activity, a.phase))
    return ActOut(
        nomenclature=nomenclature,
        code=code,
        tariff_version=table.version,
        label=main.label,
        value=main.tariff,
        confidence=main.confidence,
        activities=[(a.activity, a.phase, a.tariff) for a in rows],
        prior_approval=any(a.prior_approval for a in rows),
    )


@router.post("/versions", status_code=status.HTTP_202_ACCEPTED, dependencies=[require(Role.OPERATOR)])
async def publish(
    version: NomenclatureVersionPublishedV1, runtime: RuntimeDep, state: StateDep
) -> dict[str, str]:
    try:
        check_publishable(state, version)
    except AmendmentError as error:
        field, _, reason = str(error).partition(": ")
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, {"errors": [{"field": field, "reason": reason}]}
        ) from None
    async with runtime.uow() as unit:
        unit.emit(version, subject=subject_of(version))
    return {"version": version.version, "status": "published"}
