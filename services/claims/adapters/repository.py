"""Reads and writes of claims within a unit of work."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.common import ClaimContent
from services.claims.adapters.orm import claims
from services.claims.domain.model import Receipt, Status


class ClaimRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, receipt: Receipt, practitioner_id: str, entered_by: str, content: ClaimContent
    ) -> None:
        await self.session.execute(
            claims.insert().values(
                reference=receipt.reference,
                practitioner_id=practitioner_id,
                entered_by=entered_by,
                submission_id=receipt.submission_id,
                fund=content.fund.value,
                status=Status.RECEIVED.value,
                received_at=receipt.received_at,
                first_date_of_care=min(a.date_of_care for a in content.acts),
                digest=receipt.digest,
                content=content.model_dump(mode="json"),
            )
        )

    async def by_submission(self, practitioner_id: str, submission_id: str) -> Any:
        query = select(claims).where(
            claims.c.practitioner_id == practitioner_id, claims.c.submission_id == submission_id
        )
        return (await self.session.execute(query)).one_or_none()

    async def get(self, reference: str) -> Any:
        return (
            await self.session.execute(select(claims).where(claims.c.reference == reference))
        ).one_or_none()

    async def set_status(self, reference: str, status: Status) -> None:
        await self.session.execute(
            update(claims).where(claims.c.reference == reference).values(status=status.value)
        )

    async def decide(
        self,
        reference: str,
        status: Status,
        decided_at: datetime,
        *,
        reason_code: str | None = None,
        reason: str | None = None,
        amounts: dict[str, Decimal] | None = None,
    ) -> None:
        await self.session.execute(
            update(claims)
            .where(claims.c.reference == reference)
            .values(
                status=status.value,
                decided_at=decided_at,
                reason_code=reason_code,
                reason=reason,
                **(amounts or {}),
            )
        )
