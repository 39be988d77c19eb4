"""Group commit: units of work that callers ask for at the same moment (many HTTP requests at once) share
one transaction, and one part failing undoes only that part.

Under load this turns N transactions, N outbox relay rounds and N one-message batches downstream into one
of each. A caller waits for at most the transaction in progress, then its own group's; a caller alone is
written at once, in a transaction of its own.

A group is first written with no savepoint at all: a savepoint a part cost about a fifth of a claim's
intake, and parts rarely fail. Should one fail, the transaction is rolled back and the group written
again: the parts before it as they were, the failing one and every one after it each in its own
savepoint. A work may therefore run twice; it must only act through its unit (which the roll-back
undoes), as the fallback to writing each part alone already required.

A part may say what it will read (`ReadAhead`): every transaction reads that of all its parts first, in
one statement a kind of read, as a consumer does for a batch of events. A claim's intake otherwise spent
a statement of its own finding out whether its transmission was new."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from runtime.messaging.uow import Unit, UnitOfWork

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[Unit], Awaitable[Any]]


@dataclass(frozen=True)
class ReadAhead:
    """What a part will read: `read(unit, keys)` is awaited once a transaction with the keys of all its
    parts that share that `read`, before any part runs. It only reads: for the parts to find what they
    look for in the unit (`Unit.prefetched`)."""

    read: Callable[[Unit, list[Any]], Awaitable[None]]
    key: Any


Part = tuple[Work, "asyncio.Future[Any]", ReadAhead | None]


class GroupCommit:
    def __init__(self, uow: UnitOfWork, limit: int = 200) -> None:
        self._uow = uow
        self._limit = limit
        self._waiting: list[Part] = []
        self._writer: asyncio.Task[None] | None = None
        self.transactions = 0

    async def run(self, work: Callable[[Unit], Awaitable[T]], ahead: ReadAhead | None = None) -> T:
        """`work` applied within a unit of work shared with concurrent callers; its result, or its error."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.append((work, future, ahead))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="group-commit")
        return await future

    async def _write(self) -> None:
        group: list[Part] = []
        try:
            while self._waiting:
                group, self._waiting = self._waiting[: self._limit], self._waiting[self._limit :]
                if len(group) == 1:
                    await self._alone(group[0])
                    continue
                try:
                    outcomes = await self._together(group)
                except Exception as error:
                    # The shared transaction itself failed: each part is tried again on its own.
                    log.warning(
                        "group of %d failed (%s); writing each alone", len(group), type(error).__name__
                    )
                    for part in group:
                        await self._alone(part)
                    continue
                for (_work, future, _ahead), (result, failure) in zip(group, outcomes, strict=True):
                    _settle(future, result, failure)
        finally:
            # Stopped (the service shutting down): nobody is left hanging, the group in hand included.
            for _work, future, _ahead in [*group, *self._waiting]:
                if not future.done():
                    future.cancel()
            self._waiting = []

    async def _together(self, group: list[Part]) -> list[tuple[Any, Any]]:
        """The group in one transaction, with no savepoint; at the first part that fails, all of it
        again with that part and the ones after it in savepoints (from the first part on when the
        transaction itself failed: a part's deferred writes run at commit here, not at its end)."""
        first_isolated = 0
        try:
            async with self._uow() as unit:
                await _read_ahead(unit, group)
                results = []
                for index, (work, _future, _ahead) in enumerate(group):
                    try:
                        results.append(await work(unit))
                    except Exception:
                        first_isolated = index
                        raise
        except Exception:
            return await self._isolating(group, first_isolated)
        self.transactions += 1
        return [(result, None) for result in results]

    async def _isolating(self, group: list[Part], first: int) -> list[tuple[Any, Any]]:
        """The group in one transaction, each part from `first` on in its own savepoint."""
        outcomes: list[tuple[Any, Any]] = []
        async with self._uow() as unit:
            await _read_ahead(unit, group)
            for index, (work, _future, _ahead) in enumerate(group):
                if index < first:
                    outcomes.append((await work(unit), None))
                    continue
                if index == first:
                    # What the parts before deferred is theirs, not the isolated part's: should it fail,
                    # so does the group, and each part is then written alone.
                    await unit.write_deferred()
                try:
                    async with unit.part():  # may fail on leaving: its deferred writes run then
                        result = await work(unit)
                except Exception as error:
                    outcomes.append((None, error))
                else:
                    outcomes.append((result, None))
        self.transactions += 1
        return outcomes

    async def _alone(self, part: Part) -> None:
        work, future, _ahead = part
        try:
            async with self._uow() as unit:
                await _read_ahead(unit, [part])
                result = await work(unit)
        except Exception as error:
            _settle(future, None, error)
        else:
            _settle(future, result, None)
        self.transactions += 1


async def _read_ahead(unit: Unit, group: Sequence[Part]) -> None:
    keys: dict[Callable[[Unit, list[Any]], Awaitable[None]], list[Any]] = {}
    for _work, _future, ahead in group:
        if ahead is not None:
            keys.setdefault(ahead.read, []).append(ahead.key)
    for read, wanted in keys.items():
        await read(unit, wanted)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # its caller has gone (cancelled): what it asked for was still written
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)
