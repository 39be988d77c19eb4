"""Offsets of processed batches, committed in the background instead of after every batch.

FastStream acknowledges a batch by awaiting the consumer's commit: one OffsetCommit round trip per
batch, during which the consumer fetches nothing, and one more request for the broker to answer. Here
the acknowledgement records the batch's offsets and returns at once; the offsets of every batch
acknowledged meanwhile go to Kafka in one commit, at most `interval` seconds later.

Nothing can be lost: only offsets of batches whose effects are durable are committed, never a position
the consumer has merely fetched. What a crash or a rebalance can do is redeliver up to `interval`
seconds' worth of processed batches, which the consumers' inboxes absorb (delivery is at least once;
effects are exactly once). A partition no longer assigned is left to its new owner: committing an
older offset over that owner's would only make it read again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any, Protocol

from aiokafka import TopicPartition

log = logging.getLogger(__name__)


class Record(Protocol):
    topic: str
    partition: int
    offset: int


class KafkaConsumer(Protocol):
    async def commit(self, offsets: dict[TopicPartition, int] | None = None) -> None: ...

    def assignment(self) -> set[TopicPartition]: ...

    def seek(self, partition: TopicPartition, offset: int) -> None: ...


class OffsetCommitter:
    """The pending offsets of one Kafka consumer (next offset to read, per partition), committed by one
    task at a time: at most `interval` seconds after the first of them, or at once on `flush`."""

    def __init__(self, consumer: KafkaConsumer, interval: float) -> None:
        self._consumer = consumer
        self._interval = interval
        self._pending: dict[TopicPartition, int] = {}
        self._now = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def processed(self, records: Iterable[Record]) -> None:
        """The records' effects are durable: commit past them soon."""
        pending = self._pending
        for record in records:
            partition = TopicPartition(record.topic, record.partition)
            if record.offset >= pending.get(partition, 0):
                pending[partition] = record.offset + 1
        if pending and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._run(), name="offset-commit")

    @property
    def pending(self) -> dict[TopicPartition, int]:
        """The offsets recorded and not yet handed to Kafka."""
        return dict(self._pending)

    @property
    def settled(self) -> bool:
        """Nothing pending and no commit on its way: what is committed stays so until more is processed."""
        return not self._pending and (self._task is None or self._task.done())

    async def flush(self) -> None:
        """Commit what is pending now (a service stopping)."""
        self._now.set()
        try:
            if self._task is not None:
                await asyncio.gather(self._task, return_exceptions=True)
            await self._commit()
        finally:
            self._now.clear()

    async def _run(self) -> None:
        # Offsets that arrive while a commit is on its way are committed by the next round.
        while self._pending:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._now.wait()
            await self._commit()

    async def _commit(self) -> None:
        offsets, self._pending = self._pending, {}
        if not offsets:
            return
        try:
            assigned = self._consumer.assignment()
            offsets = {partition: offset for partition, offset in offsets.items() if partition in assigned}
            if offsets:
                await self._consumer.commit(offsets)
        except Exception as error:  # a stopped consumer, a rebalance: read again later, and absorbed
            log.warning("offset commit failed (%s); those records may be read again", type(error).__name__)


class Acknowledger:
    """Stands for the Kafka consumer in one FastStream batch message: its acknowledgement (`commit`)
    hands the batch's offsets to the committer; a rewind (`seek`) goes to the consumer itself."""

    def __init__(self, consumer: Any, records: Iterable[Record], committer: OffsetCommitter) -> None:
        self._consumer = consumer
        self._records = records
        self._committer = committer

    async def commit(self) -> None:
        self._committer.processed(self._records)

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self._consumer.seek(partition=partition, offset=offset)
