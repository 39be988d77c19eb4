"""Batch consumption with per-message isolation.

A batch is applied in one transaction; if that fails, each message is applied alone so that one poison
message cannot hold back the others. A message that cannot be read or processed goes to the topic's
dead-letter topic with headers naming its origin and the error; a transient failure (database or broker
unreachable) is retried, then the batch is handed back to Kafka to be redelivered."""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError

from contracts.envelope import Envelope, Payload
from contracts.registry import UnknownEventError, all_models, parse
from contracts.topics import dead_letter
from runtime.messaging.reasons import DescribedError, UnreadableError, describe_error
from runtime.messaging.uow import Unit, UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[Unit, Envelope, Any], Awaitable[None]]
Prefetch = Callable[[Unit, Sequence[Any]], Awaitable[None]]
"""Reads made once for a run of consecutive events of one type, before the first of them is handled,
and kept in `unit.prefetched` for their handler (emptied before each run): what would be one
statement an event (a household, a closure, a claim) becomes one statement a run. A run holds only
events of that one handler, so what an event of another type writes (a rights update, a
cancellation) is read by the next run, never stale; within the run, a handler that writes what its
prefetch read drops it from there (runtime.messaging.closed, the claims repository)."""
TRANSIENT: tuple[type[BaseException], ...] = (OperationalError, ConnectionError, OSError, TimeoutError)


class Record(Protocol):
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes | None]]


class DeadLetterSink(Protocol):
    """Hands a dead letter to the producer and returns, without waiting for it, the broker's
    acknowledgement: a batch's dead letters go out together, and the batch is done (its offsets
    committed) only once every one of them is acknowledged."""

    async def __call__(
        self, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]
    ) -> Awaitable[object]: ...


class MessageRejectedError(DescribedError):
    """A domain handler's verdict that a message can never be processed (it goes to the dead letters).

    `notice`, when given, is an event published (through the outbox, keyed by `subject`) once the
    message is dead-lettered, so that its sender can learn of the refusal from a topic it reads. Its
    message names the field and the reason, and quotes no input (runtime.messaging.reasons)."""

    def __init__(self, message: str, notice: Payload | None = None, subject: str | None = None) -> None:
        super().__init__(message)
        self.notice = notice
        self.subject = subject


@functools.cache
def known_event_types() -> frozenset[str]:
    return frozenset(event_type for event_type, _version in all_models())


def declared_type(record: Record) -> str | None:
    """The event type named by the record's ce_type header, which the outbox relay sets (a header without
    a value, which Kafka allows, names none)."""
    for name, value in record.headers:
        if name == "ce_type" and value is not None:
            return value.decode("utf-8", "replace")
    return None


@dataclass(frozen=True)
class Subscription:
    """What one consumer group does with one topic: a handler per payload model it understands.

    `background` marks a stream (reference data, a feed) that no person waits on: its fetches may
    wait longer than a claim's (FSE_KAFKA_BACKGROUND_WAIT_MS), since every idle fetch costs CPU."""

    topic: str
    group: str
    handlers: dict[type[Payload], Handler]
    background: bool = False
    prefetch: Mapping[type[Payload], Prefetch] = field(default_factory=dict)


def by_group(subscriptions: Sequence[Subscription]) -> list[list[Subscription]]:
    """The subscriptions of each consumer group, in declaration order: one consumer serves a group."""
    groups: dict[str, list[Subscription]] = {}
    for subscription in subscriptions:
        groups.setdefault(subscription.group, []).append(subscription)
    return list(groups.values())


@dataclass
class Item:
    record: Record
    envelope: Envelope
    payload: Payload
    handler: Handler
    prefetch: Prefetch | None


@dataclass
class Pending:
    """What a batch leaves until its records are applied: its dead letters' acknowledgements, awaited
    together, then the notices of its refusals (`MessageRejectedError.notice`), published together."""

    acknowledgements: list[Awaitable[object]] = field(default_factory=list)
    notices: list[tuple[Item, Payload, str]] = field(default_factory=list)


class Consumer:
    """One consumer group over one or more topics: a single Kafka consumer (one fetch loop) whatever
    the number of topics, each event routed to its handler by type (an event type has one topic)."""

    def __init__(
        self,
        subscriptions: Sequence[Subscription],
        uow: UnitOfWork,
        dead_letters: DeadLetterSink,
        retries: int = 4,
        retry_delay: float = 0.2,
    ) -> None:
        groups = {s.group for s in subscriptions}
        if len(groups) != 1:
            raise ValueError(f"a consumer serves exactly one group, not {sorted(groups)}")
        self.group = groups.pop()
        self.topics = tuple(dict.fromkeys(s.topic for s in subscriptions))
        # Background only if every stream it reads is: one stream a person waits on sets the pace.
        self.background = all(s.background for s in subscriptions)
        self._routes: dict[str, tuple[type[Payload], Handler, Prefetch | None]] = {}
        for subscription in subscriptions:
            for model, handler in subscription.handlers.items():
                route = (model, handler, subscription.prefetch.get(model))
                if self._routes.setdefault(model.event_type, route) != route:
                    raise ValueError(f"{model.event_type}: two handlers in group {self.group}")
        # (topic, event type) of the events published on these topics that no handler here wants.
        self._others = frozenset(
            (model.topic, model.event_type)
            for model in all_models().values()
            if model.topic in self.topics and model.event_type not in self._routes
        )
        self._uow = uow
        self._dead_letters = dead_letters
        self._retries = retries
        self._retry_delay = retry_delay
        self.dead_lettered = 0

    @property
    def event_types(self) -> list[str]:
        return list(self._routes)

    async def process(self, records: Sequence[Record]) -> None:
        """Apply a batch; returns once its effects are committed, its dead letters acknowledged and the
        notices of its refusals committed (a dead letter that cannot be written fails the batch, which
        is then fetched again)."""
        pending = Pending()
        items: list[Item] = []
        for record in records:
            item = await self._read(record, pending)
            if item is not None:
                items.append(item)
        if items:
            try:
                await self._apply(items)
            except Exception:
                for item in items:
                    await self._apply_alone(item, pending)
        await asyncio.gather(*pending.acknowledgements)
        if pending.notices:
            await self._retried(records[0].topic, lambda: self._notify(pending.notices))

    def _not_ours(self, record: Record) -> bool:
        """An event of the stream that this group does not handle, known by its header alone: most of
        a shared topic's traffic is skipped without reading the body. Only an event type published on
        this very topic is trusted from the header: anything else is read and checked in full."""
        return (record.topic, declared_type(record)) in self._others

    async def _read(self, record: Record, pending: Pending) -> Item | None:
        if self._not_ours(record):
            return None
        try:
            if record.value is None:
                raise UnreadableError("body: empty message")
            envelope = Envelope.model_validate_json(record.value)
            route = self._routes.get(envelope.type)
            if route is None:
                if envelope.type not in known_event_types():
                    raise UnknownEventError("type: names no known event type")
                return None  # an event of the stream that this group does not handle
            model, handler, prefetch = route
            try:
                payload = parse(envelope, model)
            except ValidationError as error:  # its fields are the envelope's data's
                pending.acknowledgements.append(await self._dead_letter(record, error, within="data"))
                return None
            return Item(record, envelope, payload, handler, prefetch)
        except (ValidationError, UnknownEventError, ValueError) as error:
            pending.acknowledgements.append(await self._dead_letter(record, error))
            return None

    async def _apply(self, items: list[Item]) -> None:
        group = self.group
        async with self._uow() as unit:
            new = await unit.first_time(group, [i.envelope.id for i in items])
            fresh: list[Item] = []
            for item in items:
                if item.envelope.id in new:
                    new.discard(item.envelope.id)  # a duplicate in the same batch is skipped too
                    fresh.append(item)
            for _handler, consecutive in itertools.groupby(fresh, key=lambda i: i.handler):
                run = list(consecutive)
                unit.prefetched.clear()  # what a run before read may be stale by now
                if run[0].prefetch is not None:
                    await run[0].prefetch(unit, [i.payload for i in run])
                for item in run:
                    await item.handler(unit, item.envelope, item.payload)

    async def _apply_alone(self, item: Item, pending: Pending) -> None:
        try:
            await self._retried(item.record.topic, lambda: self._apply([item]))
        except TRANSIENT:
            raise  # retried enough: the batch is handed back to Kafka
        except Exception as error:
            pending.acknowledgements.append(await self._dead_letter(item.record, error))
            if isinstance(error, MessageRejectedError) and error.notice is not None:
                pending.notices.append((item, error.notice, error.subject or item.envelope.subject))

    async def _retried(self, topic: str, action: Callable[[], Awaitable[None]]) -> None:
        """`action()`, tried again with backoff while it fails for a transient reason."""
        for attempt in range(self._retries + 1):
            try:
                await action()
                return
            except TRANSIENT as error:
                if isinstance(error, DBAPIError) and not error.connection_invalidated and attempt == 0:
                    log.warning("transient failure on %s: %s", topic, type(error).__name__)
                if attempt == self._retries:
                    raise
                await asyncio.sleep(self._retry_delay * 2**attempt)

    async def _notify(self, notices: list[tuple[Item, Payload, str]]) -> None:
        """Publish the notices of a batch's refusals (their dead letters acknowledged before) and mark
        the refused messages as processed with them: a batch fetched again (a dead letter failed, the
        process died) does not refuse them again, and their senders hear of each refusal once."""
        async with self._uow() as unit:
            new = await unit.first_time(self.group, [item.envelope.id for item, _notice, _subject in notices])
            for item, notice, subject in notices:
                if item.envelope.id in new:
                    new.discard(item.envelope.id)
                    unit.emit(notice, subject=subject, cause=item.envelope)

    async def _dead_letter(self, record: Record, error: BaseException, within: str = "") -> Awaitable[object]:
        """Hand the record to its dead-letter topic; returns the broker's acknowledgement, to await."""
        self.dead_lettered += 1
        reason = describe_error(error, within)
        log.warning(
            "dead-lettering %s[%d]@%d: %s",
            record.topic,
            record.partition,
            record.offset,
            type(error).__name__,
        )
        return await self._dead_letters(
            dead_letter(record.topic),
            record.key,
            record.value or b"",
            {
                "dlt-original-topic": record.topic,
                "dlt-original-partition": str(record.partition),
                "dlt-original-offset": str(record.offset),
                "dlt-consumer-group": self.group,
                "dlt-exception-class": type(error).__name__,
                "dlt-exception-message": reason,
                "dlt-time": datetime.now(UTC).isoformat(),
            },
        )
