"""CPU that the outbox relay's publishing costs a row, in-process, against the raw producer in the same
run: the same rows sent with aiokafka's `send`, a record at a time (as the relay sent them before),
by a producer with the relay's settings. Rows as a unit of work hands them to the relay (`--batch` at a
time: a consumer's batch emits about ten at 300 claims/s offered, hundreds from a backlog), of the size
of a ClaimReceived, keyed by claim reference over two topics of `--partitions` partitions, on the
embedded broker (a process of its own, whose CPU is not counted). It checks that every row arrived
(the topics' high watermarks).

    python -m bench.relay [--rows 20000] [--batch 400] [--partitions 1] [--repeat 3]

It prints the process's CPU time a row for each way (best and median of `--repeat` runs) and the time
a row took; not the bytes written, which go to a socket. The relay's reads and deletes of its table
are not in it: what the whole service does is measured by `python -m bench`."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData

from bench.inprocess import Cost, Meter, report
from runtime import db, heap, loop
from runtime.broker import ensure_topics
from runtime.messaging.relay import OutboxRelay, make_producer
from runtime.messaging.tables import messaging_tables
from runtime.ops import high_watermarks
from runtime.tansu import EmbeddedBroker

BODY = b"x" * 1400
"""About the bytes of a ClaimReceived."""


def rows(count: int, topics: Sequence[str]) -> list[dict[str, Any]]:
    return [
        {
            "topic": topics[n % len(topics)],
            "key": f"FSE-20261207-{n:010d}",
            "body": BODY,
            "event_type": "ClaimReceived",
            "event_id": uuid.uuid4(),
        }
        for n in range(count)
    ]


def sent_only(cost: Cost) -> Cost:
    """What it wrote is not reported: the rows go to a socket, which /proc/self/io counts under one
    event loop (a write) and not another (a send)."""
    return replace(cost, written=None)


async def raw_sends(bootstrap: str, chunks: list[list[dict[str, Any]]]) -> Cost:
    producer = make_producer(bootstrap, "bench-raw")
    await producer.start()
    try:
        meter = Meter()
        for chunk in chunks:
            sent = [
                await producer.send(
                    row["topic"],
                    value=row["body"],
                    key=row["key"].encode(),
                    headers=[
                        ("ce_type", row["event_type"].encode()),
                        ("ce_id", str(row["event_id"]).encode()),
                    ],
                )
                for row in chunk
            ]
            await asyncio.gather(*sent)
        return sent_only(meter.cost(sum(map(len, chunks))))
    finally:
        await producer.stop()


async def relay_publishes(bootstrap: str, directory: Path, chunks: list[list[dict[str, Any]]]) -> Cost:
    """The relay as a service starts it, over an empty outbox that it reads once as it starts."""
    metadata = MetaData()
    tables = messaging_tables(metadata)
    engine = db.make_engine(f"sqlite+aiosqlite:///{directory / 'outbox.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    relay = OutboxRelay(db.sessions(engine), tables, bootstrap, "bench-relay", poll_seconds=3600)
    await relay.start()
    try:
        meter = Meter()
        for chunk in chunks:
            await relay.publish(chunk)
        return sent_only(meter.cost(sum(map(len, chunks))))
    finally:
        await relay.stop()
        await engine.dispose()


async def one_run(
    bootstrap: str, directory: Path, rows_sent: int, batch: int, partitions: int
) -> dict[str, Cost]:
    """Both ways over fresh topics; raises unless every row of both arrived."""
    run = uuid.uuid4().hex[:8]
    topics = [f"bench.relay.{run}.a", f"bench.relay.{run}.b"]
    await ensure_topics(bootstrap, topics, partitions=partitions)
    every = rows(rows_sent, topics)
    chunks = [every[first : first + batch] for first in range(0, rows_sent, batch)]
    figures = {
        "raw producer": await raw_sends(bootstrap, chunks),
        "relay": await relay_publishes(bootstrap, directory, chunks),
    }
    arrived = sum((await high_watermarks(bootstrap, topics)).values())
    if arrived != 2 * rows_sent:
        raise RuntimeError(f"{arrived} records arrived of {2 * rows_sent}")
    return figures


async def main(rows_sent: int, batch: int, partitions: int, repeat: int) -> None:
    print(
        f"outbox relay, in-process, embedded broker: {rows_sent} rows of {len(BODY)} bytes, {batch} at a "
        f"time, {partitions} partition(s) a topic, best of {repeat}"
    )
    heap.freeze()  # the collector as in a started service (runtime.heap)
    broker = EmbeddedBroker().start()
    try:
        with tempfile.TemporaryDirectory(prefix="fse-relay-") as scratch:
            runs = []
            for n in range(repeat):
                directory = Path(scratch) / f"run-{n}"
                directory.mkdir()
                runs.append(await one_run(broker.bootstrap_servers, directory, rows_sent, batch, partitions))
    finally:
        broker.stop()
    report(runs, "a row")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=400)
    parser.add_argument("--partitions", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    loop.run(main(arguments.rows, arguments.batch, arguments.partitions, arguments.repeat))
