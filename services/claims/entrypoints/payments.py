"""HNP payments of a practitioner: the list, and a statement as CSV (Excel) or PDF."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response
from pydantic import BaseModel

from runtime.http import Limit, Offset, declared
from runtime.security import CurrentActor
from runtime.service import RuntimeDep
from services.claims.adapters import clock, payments
from services.claims.service_layer.payments import statement_csv, statement_pdf

router = APIRouter(prefix="/payments", tags=["HNP payments"])


class PaymentOut(BaseModel):
    payment_id: str
    fund: str
    paid_at: datetime
    total: Decimal
    claims: int


def _practitioner(actor: CurrentActor) -> str:
    if not actor.practitioner_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "role: no practitioner for this session")
    return actor.practitioner_id


@router.get("", response_model=list[PaymentOut], responses=declared(403))
async def list_payments(
    actor: CurrentActor,
    runtime: RuntimeDep,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[PaymentOut]:
    async with runtime.sessions() as session:
        rows = await payments.payments_of(session, _practitioner(actor), limit, offset)
    return [
        PaymentOut(
            payment_id=r.payment_id, fund=r.fund, paid_at=r.paid_at, total=r.total, claims=len(r.claims)
        )
        for r in rows
    ]


async def _own_payment(actor: CurrentActor, runtime: RuntimeDep, payment_id: str) -> Any:
    async with runtime.sessions() as session:
        found = await payments.payment(session, payment_id)
    if found is None or found.practitioner_id != _practitioner(actor):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "payment_id: no such payment for this practitioner")
    return found


@router.get("/{payment_id}/statement.{kind}", responses=declared(403, 404))
async def download_statement(
    payment_id: str, kind: Literal["csv", "pdf"], actor: CurrentActor, runtime: RuntimeDep
) -> Response:
    found = await _own_payment(actor, runtime, payment_id)
    name = f'attachment; filename="releve-{payment_id}.{kind}"'
    if kind == "csv":
        body, media = statement_csv(found), "text/csv; charset=utf-8"
    else:
        body, media = statement_pdf(found, clock.now(runtime)), "application/pdf"
    return Response(body, media_type=media, headers={"Content-Disposition": name})
