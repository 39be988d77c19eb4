"""Operators' view of the notices and of their e-mails (status, attempts, last error; never addresses)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from runtime.http import Limit
from runtime.security import Role, require
from runtime.service import RuntimeDep
from services.notifications.adapters.orm import deliveries, notices

router = APIRouter(prefix="/notifications", tags=["notifications"])


class NoticeOut(BaseModel):
    key: str
    audience: str
    recipient: str
    subject: str
    status: str
    created_at: datetime


class DeliveryOut(BaseModel):
    key: str
    notice_key: str
    message_id: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    sent_at: datetime | None


@router.get("/notices", response_model=list[NoticeOut], dependencies=[require(Role.OPERATOR)])
async def list_notices(runtime: RuntimeDep, limit: Limit = 100) -> list[NoticeOut]:
    async with runtime.sessions() as session:
        rows = await session.execute(select(notices).order_by(notices.c.created_at.desc()).limit(limit))
        return [NoticeOut.model_validate(row, from_attributes=True) for row in rows]


@router.get("/deliveries", response_model=list[DeliveryOut], dependencies=[require(Role.OPERATOR)])
async def list_deliveries(
    runtime: RuntimeDep, status: str | None = None, limit: Limit = 100
) -> list[DeliveryOut]:
    """The e-mails, newest first; `status=pending` shows what waits for a retry and why."""
    query = select(*(deliveries.c[name] for name in DeliveryOut.model_fields))
    if status is not None:
        query = query.where(deliveries.c.status == status)
    async with runtime.sessions() as session:
        rows = await session.execute(query.order_by(deliveries.c.created_at.desc()).limit(limit))
        return [DeliveryOut.model_validate(row, from_attributes=True) for row in rows]
