"""Operators' view of the notices."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from runtime.security import Role, require
from runtime.service import RuntimeDep
from services.notifications.adapters.orm import notices

router = APIRouter(prefix="/notifications", tags=["notifications"])


class NoticeOut(BaseModel):
    key: str
    audience: str
    recipient: str
    subject: str
    status: str
    created_at: datetime


@router.get("/notices", response_model=list[NoticeOut], dependencies=[require(Role.OPERATOR)])
async def list_notices(runtime: RuntimeDep, limit: int = 100) -> list[NoticeOut]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(notices).order_by(notices.c.created_at.desc()).limit(min(limit, 1000))
        )
        return [NoticeOut.model_validate(row, from_attributes=True) for row in rows]
