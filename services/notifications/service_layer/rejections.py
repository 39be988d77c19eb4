"""Turning a claim rejection into exactly one notice to the right person."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from contracts.claims import ClaimRejectedV1
from contracts.envelope import Envelope
from runtime.messaging.uow import Unit
from services.notifications.adapters.orm import notices
from services.notifications.domain.notices import rejection_notice


async def on_claim_rejected(unit: Unit, _envelope: Envelope, event: ClaimRejectedV1) -> None:
    notice = rejection_notice(event)
    exists = await unit.session.execute(select(notices.c.key).where(notices.c.key == notice.key))
    if exists.first() is not None:
        return
    await unit.session.execute(
        notices.insert().values(
            key=notice.key,
            audience=notice.audience.value,
            recipient=notice.recipient,
            subject=notice.subject,
            body=notice.body,
            status="pending",
            attempts=0,
            created_at=datetime.now(UTC),
        )
    )
