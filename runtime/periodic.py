"""Jobs a service runs as it starts and then at an interval for as long as it runs (the retentions): a
failed round is logged by name and tried again at the next. A service names its jobs in its definition
(`ServiceDefinition.jobs`); `runtime.service` starts and stops them with the service. Each job's rounds,
the rows it deleted and when it last succeeded are on `/metrics` (`JobMeters`), so that an alert finds
a retention that stopped working (`time() - fse_periodic_last_success_timestamp_seconds`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import Column, ColumnElement, Select, bindparam, delete, select

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncConnection

    from runtime.messaging.uow import Unit, UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    what: str
    """Its name, in the logs and in its task's name."""
    seconds: float
    """Between the end of a round and the start of the next."""
    run: Callable[[], Awaitable[int]]
    """A round: returns how many rows it deleted."""


class JobMeters:
    """The periodic jobs' rounds as Prometheus metrics in `registry`, by `task` (the job's name: Prometheus
    keeps `job` for the scrape's own)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.rounds = Counter(
            "fse_periodic_rounds",
            "rounds of the periodic jobs, by task and outcome",
            ["task", "outcome"],
            registry=registry,
        )
        self.deleted = Counter(
            "fse_periodic_deleted_rows",
            "rows the periodic jobs (retentions) deleted, by task",
            ["task"],
            registry=registry,
        )
        self.last_success = Gauge(
            "fse_periodic_last_success_timestamp_seconds",
            "when each periodic job last ended a round without error, or began if none did (Unix time)",
            ["task"],
            registry=registry,
        )

    def watch(self, what: str) -> None:
        """Every series of the job from its start: counts at 0, and its last success at the start, so
        that a job that never succeeds still shows (and ages), and a first failure counts as one."""
        for outcome in ("ok", "failed"):
            self.rounds.labels(what, outcome)
        self.deleted.labels(what)
        self.last_success.labels(what).set_to_current_time()

    def succeeded(self, what: str, deleted: int) -> None:
        self.rounds.labels(what, "ok").inc()
        self.deleted.labels(what).inc(deleted)
        self.last_success.labels(what).set_to_current_time()

    def failed(self, what: str) -> None:
        self.rounds.labels(what, "failed").inc()


async def every(seconds: float, job: Callable[[], Awaitable[int]], what: str, meters: JobMeters) -> None:
    meters.watch(what)
    while True:
        try:
            meters.succeeded(what, await job())
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("%s failed (%s); retrying later", what, type(error).__name__)
            meters.failed(what)
        await asyncio.sleep(seconds)


async def in_batches(uow: UnitOfWork, step: Callable[[Unit], Awaitable[int]], batch: int, what: str) -> int:
    """Run `step`, which deletes at most `batch` rows, a transaction at a time until it deletes fewer;
    logs and returns how many it deleted in all (`what`: of what, to the log). The service's own writes
    go on between the transactions, where one transaction for a whole backlog would hold them all up."""
    deleted = 0
    while True:
        async with uow() as unit:
            done = await step(unit)
        deleted += done
        if done < batch:
            break
        await asyncio.sleep(0)
    if deleted:
        log.info("deleted %d %s", deleted, what)
    return deleted


def oldest_before(key: ColumnElement[Any], at: ColumnElement[Any]) -> Select[Any]:
    """The keys of the rows whose `at` is before the bound `cutoff`, oldest first, at most the bound
    `limit`: with an index on `at`, a retention's round reads only what it deletes (more conditions
    may be added with `.where`)."""
    return select(key).where(at < bindparam("cutoff")).order_by(at).limit(bindparam("limit"))


async def delete_oldest(
    db: AsyncConnection, oldest: Select[Any], key: Column[Any], cutoff: datetime, limit: int
) -> list[Any]:
    """Delete the rows of `key`'s table that `oldest` (an `oldest_before` on `key`) names before `cutoff`,
    at most `limit`; returns their keys, for what goes with them."""
    keys = list((await db.execute(oldest, {"cutoff": cutoff, "limit": limit})).scalars())
    if keys:
        await db.execute(delete(key.table).where(key.in_(keys)))
    return keys
