"""Publishes committed outbox rows to Kafka, then deletes them. A crash between the send and the delete
republishes: consumers' inboxes absorb the duplicate. An orderly stop sends and deletes what has been
committed first (`stop`), so that a restart repeats nothing.

Two paths, one order. Normally a unit of work hands the rows it has just committed to the relay of its
process (`committed`), which sends them from memory in commit order and deletes them together, within
`DELETE_SECONDS`: no read of the table, no decryption, one delete for many small sends. The table is
read in insertion order (`flush_once`) when memory cannot be trusted to hold every unsent row: as the
relay starts (rows a crash left), after any failure (rows taken from memory may be unsent), when woken
(`wake`: rows written without the relay being told), and, for rows older than `AGE_SECONDS`, at each
poll (rows left by another instance that died). Memory is trusted again from the start of a read of the
whole table: what that read does not see was committed after it began, so it reaches memory; a row both
read and in memory (committed just as the read began) is sent by the read.

Several instances of a service may each run a relay over one outbox. On PostgreSQL rows are locked while
they are read and sent (SKIP LOCKED). On SQLite they are read without a lock, so two relays can send the
same row (absorbed by inboxes) and each deletes only the events it sent, named by their event ids."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.db import Sessions, is_postgres
from runtime.messaging.tables import MessagingTables

log = logging.getLogger(__name__)

BATCH = 1000
DELETE_SECONDS = 0.05
"""Rows sent from memory are deleted together, at most this long after the first of them was sent (or
before the table is read): one delete transaction for many small sends."""
AGE_SECONDS = 5.0
"""At each poll, while commits reach the relay in memory, only rows older than this are read: rows that a
unit of this process has just committed are on their way already."""
MAX_BATCH_BYTES = 256 * 1024
"""A record batch's size, past which the relay starts the next one for its partition."""

_PARTITIONER = DefaultPartitioner()


def make_producer(bootstrap_servers: str, client_id: str) -> AIOKafkaProducer:
    """Durable producer settings: every in-sync replica acknowledges; no reliance on the idempotent
    producer (not offered by every Kafka-compatible broker); ordering kept per partition. No linger:
    the relay hands over whole record batches and waits for them (`OutboxRelay.publish`), so a linger
    would only hold each one back."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=False,
        max_batch_size=MAX_BATCH_BYTES,
        max_request_size=10 * 1024 * 1024,
        request_timeout_ms=30_000,
    )


class OutboxRelay:
    def __init__(
        self,
        sessions: Sessions,
        tables: MessagingTables,
        bootstrap_servers: str,
        client_id: str,
        poll_seconds: float = 0.5,
    ) -> None:
        self._sessions = sessions
        self._outbox = tables.outbox
        # Built once: a statement built per call costs about as much again as running it.
        self._delete_sent = delete(self._outbox).where(
            self._outbox.c.event_id.in_(bindparam("sent", expanding=True))
        )
        self._bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._poll = poll_seconds
        self._lock_rows = is_postgres(sessions.engine)
        self._wake = asyncio.Event()
        self._read_table = True  # a read of the whole table is due (start, failure, wake)
        self._from_memory = False  # every row committed since the last read of the table is in _ready
        self._ready: list[Mapping[str, Any]] = []
        self._sent: list[Any] = []  # event ids sent from memory, not deleted yet
        self._sent_at = 0.0
        self._last_read = 0.0
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.published = 0

    def wake(self) -> None:
        """Read the table now: rows were written without the relay being told."""
        self._read_table = True
        self._wake.set()

    def committed(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Rows a unit of work of this process has just committed, in commit order (kept only while the
        relay runs: otherwise its next read of the table finds them)."""
        if self._from_memory:
            self._ready.extend(rows)
        self._wake.set()

    async def start(self) -> None:
        self._stopping = False
        self._producer = make_producer(self._bootstrap_servers, self._client_id)
        await self._producer.start()
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """An orderly stop (a rolling restart, not a crash): what has been committed is sent and deleted
        first, so that the next start sends nothing again; past `grace_seconds` (the broker unreachable)
        the relay is cancelled, and what it had not deleted is sent at the next start."""
        if self._task is not None and not self._task.done():
            self._stopping = True
            self._wake.set()
            if not (await asyncio.wait({self._task}, timeout=grace_seconds))[0]:
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
        self._from_memory = False
        with contextlib.suppress(Exception):  # else sent again at the next start, and absorbed
            await self._forget_sent()
        if self._producer:
            await self._producer.stop()

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            try:
                await self._cycle()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # Rows taken from memory may be unsent: the table decides again, in order.
                self._from_memory, self._read_table = False, True
                self._ready.clear()
                log.warning("outbox relay failed (%s); retrying in %.1fs", type(error).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if self._ready or self._read_table:
                continue
            if self._stopping:
                await self._forget_sent()
                return
            wait = self._poll
            if self._sent:
                wait = min(wait, max(0.0, self._sent_at + DELETE_SECONDS - time.monotonic()))
            with contextlib.suppress(TimeoutError):  # not wait_for, which in 3.11 may swallow a cancel
                async with asyncio.timeout(wait):
                    await self._wake.wait()
            self._wake.clear()

    async def _cycle(self) -> None:
        if self._read_table or not self._from_memory:
            self._read_table = False
            await self._forget_sent()  # the read below must not find them
            self._ready.clear()  # those rows are in the table, which the read below sees
            self._from_memory = True  # what it does not see was committed after it: in memory
            await self._drain()
        elif time.monotonic() - self._last_read >= self._poll:
            await self._forget_sent()
            await self._drain(older_than=datetime.now(UTC) - timedelta(seconds=AGE_SECONDS))
        while self._ready:
            rows, self._ready = self._ready, []
            await self.publish(rows)
            if not self._sent:
                self._sent_at = time.monotonic()
            self._sent.extend(row["event_id"] for row in rows)
            self.published += len(rows)
        if len(self._sent) >= BATCH or time.monotonic() - self._sent_at >= DELETE_SECONDS:
            await self._forget_sent()

    async def _forget_sent(self) -> None:
        if self._sent:
            await self._forget(self._sent)
            self._sent = []

    async def _drain(self, older_than: datetime | None = None) -> None:
        """Read and send the table's rows until a read comes back short."""
        while await self.flush_once(older_than) == BATCH:
            pass
        self._last_read = time.monotonic()

    async def flush_once(self, older_than: datetime | None = None) -> int:
        """Publish up to BATCH rows of the table (created before `older_than`, when given) in insertion
        order; returns how many were published. A row read here that is also on its way from memory
        (committed as the read began) is sent here, in the table's order, and no longer from memory."""
        query = select(self._outbox).order_by(self._outbox.c.id).limit(BATCH)
        if older_than is not None:
            query = query.where(self._outbox.c.created_at < older_than)
        if self._lock_rows:
            async with self._sessions.writing() as session:
                rows = (await session.execute(query.with_for_update(skip_locked=True))).all()
                self._taken(rows)
                await self.publish([row._mapping for row in rows])
                await self._delete(session, [row.event_id for row in rows])
        else:
            async with self._sessions() as session:
                rows = (await session.execute(query)).all()
                await session.rollback()
            self._taken(rows)
            await self.publish([row._mapping for row in rows])
            await self._forget([row.event_id for row in rows])
        self.published += len(rows)
        return len(rows)

    def _taken(self, rows: Sequence[Any]) -> None:
        if rows and self._ready:
            read = {row.event_id for row in rows}
            self._ready = [row for row in self._ready if row["event_id"] not in read]

    async def publish(self, rows: Sequence[Mapping[Any, Any]]) -> None:
        """Send outbox rows (topic, key, body, event type and id) in order, acknowledged by the broker
        on return: a record batch a partition (the producer's batch API). A send a record cost about
        three times as much of the relay's CPU, its future and its pass through the producer's
        accumulator costing more than the record (`python -m bench.relay`). Each key goes to the
        partition the producer's default partitioner would choose (murmur2), so one claim's events keep
        one partition whichever producer sends them; a full batch goes ahead of the next one for its
        partition."""
        assert self._producer is not None, "relay not started"
        producer = self._producer
        partitions: dict[str, list[int]] = {}
        open_batches: dict[tuple[str, int], BatchBuilder] = {}
        delivered: list[asyncio.Future[Any]] = []
        for row in rows:
            topic, key, value = row["topic"], row["key"].encode(), row["body"]
            headers = [("ce_type", row["event_type"].encode()), ("ce_id", str(row["event_id"]).encode())]
            if topic not in partitions:
                partitions[topic] = sorted(await producer.partitions_for(topic))
            choices = partitions[topic]
            partition = choices[0] if len(choices) == 1 else _PARTITIONER(key, choices, choices)
            batch = open_batches.get((topic, partition))
            if (
                batch is not None
                and batch.append(timestamp=None, key=key, value=value, headers=headers) is not None
            ):
                continue
            if batch is not None:  # full
                delivered.append(await producer.send_batch(batch, topic, partition=partition))
            batch = open_batches[topic, partition] = producer.create_batch()
            batch.append(timestamp=None, key=key, value=value, headers=headers)  # an empty batch takes any
        for (topic, partition), batch in open_batches.items():
            delivered.append(await producer.send_batch(batch, topic, partition=partition))
        if delivered:
            await asyncio.gather(*delivered)

    async def _forget(self, sent: list[Any]) -> None:
        if sent:
            async with self._sessions.writing() as session:
                await self._delete(session, sent)

    async def _delete(self, session: AsyncConnection, sent: list[Any]) -> None:
        """Delete the rows just sent, by event id: on SQLite a row id is reused once the rows above it are
        gone (another instance's relay may have sent and deleted them meanwhile), so deleting by row id
        could take a newer row that nobody has sent yet."""
        if sent:
            await session.execute(self._delete_sent, {"sent": sent})
