"""How long a consumer remembers the events it has processed (the inbox, `Unit.first_time`): as long as
the broker could deliver one of them again. Kafka keeps a topic's records for the topic's retention
(seven days unless the topic says otherwise), so an event older than that cannot come back: its inbox
rows go after `FSE_INBOX_RETENTION_DAYS` (30 by default; set it above the longest retention of the
topics a service reads). Without this the inbox only grew, by a row for every event every consumer
group processed. Runs as the service starts, then every hour (`runtime.service`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, tuple_

from runtime import periodic
from runtime.messaging.tables import MessagingTables
from runtime.messaging.uow import Unit, UnitOfWork

INTERVAL_SECONDS = 3600.0


async def forget_processed(
    uow: UnitOfWork, tables: MessagingTables, days: int, now: datetime | None = None, batch: int = 5_000
) -> int:
    """Delete the inbox rows of events processed more than `days` ago, `batch` rows a transaction (the
    service's own writes go on between them); returns how many."""
    inbox = tables.inbox
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    oldest = select(inbox.c.event_id, inbox.c.consumer).where(inbox.c.processed_at < cutoff).limit(batch)
    statement = delete(inbox).where(tuple_(inbox.c.event_id, inbox.c.consumer).in_(oldest))

    async def step(unit: Unit) -> int:
        return int((await unit.session.execute(statement)).rowcount)

    what = f"inbox rows of events processed more than {days} days ago"
    return await periodic.in_batches(uow, step, batch, what)
