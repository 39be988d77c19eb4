"""The payments received for a practitioner under HNP."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.payments import PaymentIssuedV1
from runtime.periodic import delete_oldest, oldest_before
from services.claims.adapters.orm import payments


async def add_payment(session: AsyncConnection, event: PaymentIssuedV1, practitioner_id: str) -> bool:
    """False when this payment is already known (a payment id is recorded once)."""
    known = await session.execute(
        select(payments.c.payment_id).where(payments.c.payment_id == event.payment_id)
    )
    if known.first() is not None:
        return False
    await session.execute(
        payments.insert().values(
            payment_id=event.payment_id,
            practitioner_id=practitioner_id,
            fund=event.fund.value,
            paid_at=event.paid_at,
            total=event.total,
            claims=[line.model_dump(mode="json") for line in event.claims],
        )
    )
    return True


async def payments_of(
    session: AsyncConnection, practitioner_id: str, limit: int, offset: int
) -> Sequence[Any]:
    query = (
        select(payments)
        .where(payments.c.practitioner_id == practitioner_id)
        .order_by(payments.c.paid_at.desc())
        .limit(limit)
        .offset(offset)
    )
    return (await session.execute(query)).all()


async def payment(session: AsyncConnection, payment_id: str) -> Any:
    return (await session.execute(select(payments).where(payments.c.payment_id == payment_id))).one_or_none()


OLDEST_PAYMENTS = oldest_before(payments.c.payment_id, payments.c.paid_at)


async def purge_payments_before(session: AsyncConnection, cutoff: datetime, limit: int) -> int:
    """The oldest payments made before `cutoff`, up to `limit`, deleted; returns how many."""
    return len(await delete_oldest(session, OLDEST_PAYMENTS, payments.c.payment_id, cutoff, limit))
