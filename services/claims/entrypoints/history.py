"""The practitioner's history: filtered list, CSV export for Excel (streamed), one claim's detail."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from contracts.common import Fund, Matricule
from runtime.http import Limit, Offset, declared
from runtime.security import CurrentActor
from runtime.service import RuntimeDep
from services.claims.adapters import clock
from services.claims.adapters.history import changes_of
from services.claims.adapters.repository import ClaimRepository
from services.claims.domain.history import HistoryFilter
from services.claims.domain.model import Status
from services.claims.service_layer import history

router = APIRouter(prefix="/claims", tags=["history"])


class ClaimSummary(BaseModel):
    reference: str
    status: str
    received_at: datetime
    first_date_of_care: date
    fund: str
    matricule: str
    beneficiary_rank: int
    acts: list[str]
    reason_code: str | None
    total_fee: Decimal | None
    total_reimbursement: Decimal | None
    patient_share: Decimal | None
    paid_to_professional: Decimal | None
    entered_by: str


class StatusChange(BaseModel):
    status: str
    reason_code: str | None
    at: datetime


class ClaimDetail(ClaimSummary):
    reason: str | None
    decided_at: datetime | None
    digest: str
    content: dict[str, object]
    changes: list[StatusChange]


async def wanted(
    actor: CurrentActor,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    fund: Fund | None = None,
    matricule: Annotated[Matricule | None, Query()] = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    act: Annotated[str | None, Query(pattern=r"^[A-Z][A-Z0-9_]{0,9}$")] = None,
) -> HistoryFilter:
    if not actor.practitioner_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "role: no practitioner for this session")
    if matricule and not fund:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "fund: required with matricule")
    return history.make_filter(
        actor.practitioner_id,
        date_from=date_from,
        date_to=date_to,
        fund=fund.value if fund else None,
        matricule=matricule,
        status=status_.value if status_ else None,
        act=act,
    )


Wanted = Annotated[HistoryFilter, Depends(wanted)]


@router.get("", response_model=list[ClaimSummary], responses=declared(403))
async def list_claims(
    filters: Wanted,
    runtime: RuntimeDep,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[ClaimSummary]:
    """The last 12 months, newest first."""
    async with runtime.sessions() as session:
        rows = await history.page(session, filters, clock.now(runtime), limit, offset)
    return [ClaimSummary.model_validate(history.summary(row)) for row in rows]


@router.get("/export.csv", response_class=StreamingResponse, responses=declared(403))
async def export_claims(filters: Wanted, runtime: RuntimeDep) -> StreamingResponse:
    """The same rows as a CSV that Excel opens as is: UTF-8 with BOM, ';', decimal comma, dd/mm/yyyy."""
    lines = history.export_csv(runtime.sessions, filters, clock.now(runtime))
    return StreamingResponse(
        (line.encode() async for line in lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="fse-historique.csv"'},
    )


@router.get("/{reference}/detail", response_model=ClaimDetail, responses=declared(404))
async def claim_detail(reference: str, actor: CurrentActor, runtime: RuntimeDep) -> ClaimDetail:
    async with runtime.sessions() as session:
        claim = await ClaimRepository(session).get(reference)
        if claim is None or claim.practitioner_id != actor.practitioner_id:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "reference: no such FSE for this practitioner")
        changes = [
            StatusChange.model_validate(c, from_attributes=True) for c in await changes_of(session, reference)
        ]
    return ClaimDetail(
        **history.summary(claim),
        reason=claim.reason,
        decided_at=claim.decided_at,
        digest=claim.digest,
        content={k: v for k, v in claim.content.items() if k != "code_fse"},
        changes=changes,
    )
