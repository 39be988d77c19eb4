"""Publishes committed outbox rows to Kafka in insertion order, then deletes them. A crash between the
send and the delete republishes: consumers' inboxes absorb the duplicate.

Several instances of a service may each run a relay over one outbox. On PostgreSQL rows are locked while
they are sent (SKIP LOCKED). On SQLite they are read without a lock, so two relays can send the same row
(absorbed by inboxes) and each deletes only the events it sent, named by their event ids."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from runtime.db import READ_ONLY, is_postgres, write_lock
from runtime.messaging.tables import MessagingTables

log = logging.getLogger(__name__)

BATCH = 1000


def make_producer(bootstrap_servers: str, client_id: str) -> AIOKafkaProducer:
    """Durable producer settings: every in-sync replica acknowledges; no reliance on the idempotent
    producer (not offered by every Kafka-compatible broker); ordering kept per partition."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=False,
        linger_ms=2,
        max_batch_size=256 * 1024,
        max_request_size=10 * 1024 * 1024,
        request_timeout_ms=30_000,
    )


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        bootstrap_servers: str,
        client_id: str,
        poll_seconds: float = 0.5,
    ) -> None:
        self._engine = engine
        self._sessions = sessions
        self._outbox = tables.outbox
        self._bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._poll = poll_seconds
        self._lock_rows = is_postgres(engine)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._producer = make_producer(self._bootstrap_servers, self._client_id)
        await self._producer.start()
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._producer:
            await self._producer.stop()

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            try:
                while await self.flush_once() == BATCH:
                    pass
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("outbox relay failed (%s); retrying in %.1fs", type(error).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)
            self._wake.clear()

    async def flush_once(self) -> int:
        """Publish up to BATCH rows; returns how many were published."""
        self._wake.clear()
        query = select(self._outbox).order_by(self._outbox.c.id).limit(BATCH)
        if self._lock_rows:
            async with self._sessions() as session, session.begin():
                rows = (await session.execute(query.with_for_update(skip_locked=True))).all()
                await self._send(rows)
                await self._delete(session, rows)
        else:
            async with self._sessions() as session:
                await session.connection(execution_options=READ_ONLY)
                rows = (await session.execute(query)).all()
                await session.rollback()
            await self._send(rows)
            if rows:
                async with write_lock(self._engine), self._sessions() as session, session.begin():
                    await self._delete(session, rows)
        self.published += len(rows)
        return len(rows)

    async def _send(self, rows: Sequence[Any]) -> None:
        assert self._producer is not None, "relay not started"
        futures = [
            await self._producer.send(
                row.topic,
                value=row.body,
                key=row.key.encode(),
                headers=[("ce_type", row.event_type.encode()), ("ce_id", str(row.event_id).encode())],
            )
            for row in rows
        ]
        if futures:
            await asyncio.gather(*futures)

    async def _delete(self, session: AsyncSession, rows: Sequence[Any]) -> None:
        """Delete the rows just sent, by event id: on SQLite a row id is reused once the rows above it are
        gone (another instance's relay may have sent and deleted them meanwhile), so deleting by row id
        could take a newer row that nobody has sent yet."""
        if rows:
            sent = [r.event_id for r in rows]
            await session.execute(delete(self._outbox).where(self._outbox.c.event_id.in_(sent)))
