"""Failure counters of the code FSE checks, and the lookups' audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.crypto import fingerprint
from services.eligibility.adapters.orm import lookup_audit, throttles
from services.eligibility.domain.throttle import Counter


def insured_digest(fund: str, matricule: str) -> bytes:
    return fingerprint(f"insured:{fund}:{matricule}")


class GuardRepository:
    def __init__(self, session: AsyncConnection) -> None:
        self.session = session

    async def counter(self, key: bytes, now: datetime) -> Counter:
        """The key's counter, created if new and locked until the transaction ends, so that concurrent
        failures are all counted."""
        dialect = postgresql if self.session.dialect.name == "postgresql" else sqlite
        fresh = {"key": key, "failures": 0, "window_start": now, "blocked_until": None}
        await self.session.execute(dialect.insert(throttles).values(**fresh).on_conflict_do_nothing())
        query = select(throttles).where(throttles.c.key == key).with_for_update()
        row = (await self.session.execute(query)).one()
        return Counter(row.failures, row.window_start, row.blocked_until)

    async def put_counter(self, key: bytes, counter: Counter) -> None:
        values = {
            "failures": counter.failures,
            "window_start": counter.window_start,
            "blocked_until": counter.blocked_until,
        }
        await self.session.execute(throttles.update().where(throttles.c.key == key).values(**values))

    async def audit(
        self,
        at: datetime,
        actor: tuple[str, str, str | None],
        fund: str,
        matricule: str,
        outcome: str,
    ) -> None:
        user_id, role, practitioner_id = actor
        await self.session.execute(
            lookup_audit.insert().values(
                at=at,
                user_id=user_id,
                role=role,
                practitioner_id=practitioner_id,
                fund=fund,
                matricule=matricule,
                matricule_digest=insured_digest(fund, matricule),
                outcome=outcome,
            )
        )
