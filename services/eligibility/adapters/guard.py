"""Failure counters of the code FSE checks, and the lookups' audit trail; what their retention deletes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.crypto import fingerprint
from runtime.periodic import delete_oldest, oldest_before
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
        # One statement that inserts or locks (an update that sets the key to itself): on PostgreSQL a counter
        # the retention deletes between an insert that found it and a read would not be there to read.
        dialect = postgresql if self.session.dialect.name == "postgresql" else sqlite
        fresh = {"key": key, "failures": 0, "window_start": now, "blocked_until": None}
        insert = dialect.insert(throttles).values(**fresh)
        upsert = insert.on_conflict_do_update(
            index_elements=[throttles.c.key], set_={"key": insert.excluded.key}
        )
        row = (await self.session.execute(upsert.returning(*throttles.c))).one()
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


OLDEST_LOOKUPS = oldest_before(lookup_audit.c.id, lookup_audit.c.at)

# A counter is spent when its window began before `cutoff` (now less the longest window) and no lock of
# it runs: the next failure would start a new count, as for a key never seen. The delete repeats the
# conditions, so that a counter a lookup renewed since it was read (PostgreSQL re-reads a row it waited
# for) is kept.
_LOCK_OVER = or_(throttles.c.blocked_until.is_(None), throttles.c.blocked_until <= bindparam("now"))
SPENT_COUNTERS = oldest_before(throttles.c.key, throttles.c.window_start).where(_LOCK_OVER)
FORGET_SPENT = delete(throttles).where(
    throttles.c.key.in_(bindparam("keys", expanding=True)),
    throttles.c.window_start < bindparam("cutoff"),
    _LOCK_OVER,
)


async def purge_lookups_before(db: AsyncConnection, cutoff: datetime, limit: int) -> int:
    """The oldest lookups audited before `cutoff`, up to `limit`, deleted; returns how many."""
    return len(await delete_oldest(db, OLDEST_LOOKUPS, lookup_audit.c.id, cutoff, limit))


async def forget_spent_counters(db: AsyncConnection, now: datetime, cutoff: datetime, limit: int) -> int:
    """The oldest counters spent at `now` (their window began before `cutoff`), up to `limit`, deleted;
    returns how many (fewer than read when lookups renewed some meanwhile: the next round goes on)."""
    bounds = {"cutoff": cutoff, "now": now}
    spent = list((await db.execute(SPENT_COUNTERS, {**bounds, "limit": limit})).scalars())
    if not spent:
        return 0
    deleted = await db.execute(FORGET_SPENT, {**bounds, "keys": spent})
    return int(deleted.rowcount)
