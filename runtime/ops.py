"""Operations commands for a running system.

    python -m runtime.ops topics [--replication-factor 3 --min-insync-replicas 2]
        create every topic and its dead-letter topic (idempotent)
    python -m runtime.ops lag [--interval 5] [--group G ...]
        messages/s and consumer lag per consumer group and topic

Lag is the high watermark (carried by fetch responses; the embedded broker's ListOffsets "latest" is
wrong) minus the group's committed offset, summed over the topic's partitions."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections import defaultdict
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from contracts.topics import with_dead_letters
from runtime.broker import PARTITIONS, ensure_topics

Offsets = dict[TopicPartition, int]


async def high_watermarks(bootstrap: str, topics: Iterable[str]) -> Offsets:
    """Each partition's high watermark, read from fetch responses (a consumer without a group)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=10)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or [])
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        marks: Offsets = {}
        deadline = time.monotonic() + 10
        while len(marks) < len(partitions) and time.monotonic() < deadline:
            await consumer.getmany(timeout_ms=50, max_records=1)
            for tp in partitions:
                mark = consumer.highwater(tp)
                if mark is not None:
                    marks[tp] = mark
                    consumer.pause(tp)
        return marks
    finally:
        await consumer.stop()


async def committed(bootstrap: str, groups: Iterable[str] | None) -> dict[str, Offsets]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="fse-ops")
    await admin.start()
    try:
        names = list(groups or [g[0] for g in await admin.list_consumer_groups()])
        result: dict[str, Offsets] = {}
        for group in sorted(names):
            offsets = await admin.list_consumer_group_offsets(group)
            result[group] = {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
        return result
    finally:
        await admin.close()


def by_topic(offsets: Offsets) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for tp, offset in offsets.items():
        totals[tp.topic] += offset
    return totals


async def lag(bootstrap: str, interval: float, groups: list[str] | None) -> str:
    first_groups, first_marks = await committed(bootstrap, groups), None
    topics = {tp.topic for offsets in first_groups.values() for tp in offsets}
    first_marks = await high_watermarks(bootstrap, topics)
    began = time.monotonic()
    await asyncio.sleep(interval)
    second_groups = await committed(bootstrap, groups)
    second_marks = await high_watermarks(bootstrap, topics)
    seconds = time.monotonic() - began
    produced_before, produced_now = by_topic(first_marks), by_topic(second_marks)
    lines = [f"{'group':<28} {'topic':<26} {'in msg/s':>9} {'done msg/s':>10} {'lag':>8}"]
    for group, offsets in sorted(second_groups.items()):
        before = by_topic(first_groups.get(group, {}))
        for topic, done in sorted(by_topic(offsets).items()):
            behind = sum(second_marks.get(tp, off) - off for tp, off in offsets.items() if tp.topic == topic)
            incoming = (produced_now.get(topic, 0) - produced_before.get(topic, 0)) / seconds
            consumed = (done - before.get(topic, done)) / seconds
            lines.append(f"{group:<28} {topic:<26} {incoming:9.1f} {consumed:10.1f} {max(behind, 0):8d}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m runtime.ops")
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"))
    commands = parser.add_subparsers(dest="command", required=True)
    topics = commands.add_parser("topics", help="create the topics and their dead-letter topics")
    topics.add_argument("--partitions", type=int, default=PARTITIONS)
    topics.add_argument("--replication-factor", type=int, default=1)
    topics.add_argument("--min-insync-replicas", type=int)
    lags = commands.add_parser("lag", help="messages/s and consumer lag per group and topic")
    lags.add_argument("--interval", type=float, default=5.0)
    lags.add_argument("--group", action="append", help="a consumer group (default: every group)")
    args = parser.parse_args(argv)
    if args.command == "topics":
        configs = {"unclean.leader.election.enable": "false"} if args.replication_factor > 1 else {}
        if args.min_insync_replicas:
            configs["min.insync.replicas"] = str(args.min_insync_replicas)
        asyncio.run(
            ensure_topics(
                args.bootstrap, with_dead_letters(), args.partitions, args.replication_factor, configs
            )
        )
        print(f"topics ready: {len(with_dead_letters())}")
    else:
        print(asyncio.run(lag(args.bootstrap, args.interval, args.group)))


if __name__ == "__main__":
    main()
