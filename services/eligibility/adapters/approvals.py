"""Prior approvals: requests from practitioners, decisions from the back office."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.eligibility.adapters.orm import approvals
from services.eligibility.domain.approvals import ApprovalStatus


class ApprovalRepository:
    def __init__(self, session: AsyncConnection) -> None:
        self.session = session

    async def add(self, **values: object) -> None:
        await self.session.execute(approvals.insert().values(**values))

    async def get(self, reference: str) -> dict[str, object] | None:
        row = (
            await self.session.execute(select(approvals).where(approvals.c.reference == reference))
        ).one_or_none()
        return None if row is None else dict(row._mapping)

    async def decide(
        self, reference: str, status: ApprovalStatus, decided_at: datetime, valid_until: date | None
    ) -> None:
        await self.session.execute(
            approvals.update()
            .where(approvals.c.reference == reference)
            .values(status=status.value, decided_at=decided_at, valid_until=valid_until)
        )

    async def complete(self, reference: str, rank: int, nomenclature: str, act_code: str) -> None:
        await self.session.execute(
            approvals.update()
            .where(approvals.c.reference == reference)
            .values(rank=rank, nomenclature=nomenclature, act_code=act_code)
        )
