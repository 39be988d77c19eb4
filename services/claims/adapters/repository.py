"""Reads and writes of claims within a unit of work; every status change is also recorded in order."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.common import ClaimContent
from runtime.crypto import fingerprint
from services.claims.adapters.orm import claims, status_changes
from services.claims.domain.model import Status, patient_key
from services.claims.domain.receipts import Receipt


class ClaimRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, receipt: Receipt, content: ClaimContent) -> None:
        await self.session.execute(
            claims.insert().values(
                reference=receipt.reference,
                practitioner_id=receipt.practitioner_id,
                entered_by=receipt.entered_by,
                submission_id=receipt.submission_id,
                fund=content.fund.value,
                status=Status.RECEIVED.value,
                received_at=receipt.received_at,
                first_date_of_care=min(a.date_of_care for a in content.acts),
                digest=receipt.digest,
                content=content.model_dump(mode="json"),
                patient_fingerprint=fingerprint(patient_key(content.fund.value, content.matricule)),
            )
        )
        await self._changed(receipt.reference, receipt.practitioner_id, Status.RECEIVED, receipt.received_at)

    async def by_submission(self, practitioner_id: str, submission_id: str) -> Any:
        query = select(claims).where(
            claims.c.practitioner_id == practitioner_id, claims.c.submission_id == submission_id
        )
        return (await self.session.execute(query)).one_or_none()

    async def get(self, reference: str) -> Any:
        return (
            await self.session.execute(select(claims).where(claims.c.reference == reference))
        ).one_or_none()

    async def set_status(self, claim: Any, status: Status, **values: Any) -> None:
        await self.session.execute(
            update(claims).where(claims.c.reference == claim.reference).values(status=status.value, **values)
        )
        await self._changed(claim.reference, claim.practitioner_id, status, datetime.now(UTC))

    async def decide(
        self,
        claim: Any,
        status: Status,
        decided_at: datetime,
        *,
        reason_code: str | None = None,
        reason: str | None = None,
        amounts: dict[str, Decimal] | None = None,
    ) -> None:
        await self.session.execute(
            update(claims)
            .where(claims.c.reference == claim.reference)
            .values(
                status=status.value,
                decided_at=decided_at,
                reason_code=reason_code,
                reason=reason,
                **(amounts or {}),
            )
        )
        await self._changed(claim.reference, claim.practitioner_id, status, decided_at, reason_code)

    async def _changed(
        self, reference: str, practitioner_id: str, status: Status, at: datetime, code: str | None = None
    ) -> None:
        await self.session.execute(
            status_changes.insert().values(
                reference=reference,
                practitioner_id=practitioner_id,
                status=status.value,
                reason_code=code,
                at=at,
            )
        )
