"""Operations commands for a running system.

    python -m runtime.ops topics [--replication-factor 3 --min-insync-replicas 2]
        create every topic and its dead-letter topic (idempotent)
    python -m runtime.ops lag [--interval 5] [--urls http://127.0.0.1:8001,...]
        messages/s and consumer lag per consumer group and topic (groups from the services' AsyncAPI)

Lag is the high watermark (carried by fetch responses; the embedded broker's ListOffsets "latest" is
wrong) minus the group's committed offset, summed over the topic's partitions."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections import defaultdict
from collections.abc import Iterable

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.topics import with_dead_letters
from runtime.broker import PARTITIONS, ensure_topics
from runtime.revocations import NO_GROUP
from runtime.system import DEFAULT_PORTS

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


def readers(urls: Iterable[str]) -> dict[str, dict[str, frozenset[str]]]:
    """topic -> consumer group -> the event types that group handles, read from each running service's
    AsyncAPI document (subscriber titles are "group:topic", descriptions the types it handles): the
    embedded broker does not answer ListGroups. Readers in no group (session revocations) are left out."""
    found: dict[str, dict[str, frozenset[str]]] = defaultdict(dict)
    for url in urls:
        try:
            document = httpx.get(f"{url.rstrip('/')}/asyncapi.json", timeout=5).json()
        except httpx.HTTPError:
            continue
        for name, channel in document.get("channels", {}).items():
            group, _, _rest = name.partition(":")
            if group != NO_GROUP:
                types = frozenset(t.strip() for t in channel.get("description", "").split(",") if t.strip())
                found[channel["address"]][group] = types
    return dict(found)


def subscriptions(urls: Iterable[str]) -> set[tuple[str, str]]:
    """(consumer group, topic) pairs of the running services (`readers`)."""
    return {(group, topic) for topic, groups in readers(urls).items() for group in groups}


async def committed(bootstrap: str, pairs: Iterable[tuple[str, str]]) -> dict[str, Offsets]:
    """Each group's committed offsets (OffsetFetch through a consumer that never joins the group)."""
    result: dict[str, Offsets] = defaultdict(dict)
    for group, topic in sorted(pairs):
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            await consumer.topics()
            partitions = [
                TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])
            ]
            consumer.assign(partitions)
            for tp in partitions:
                offset = await consumer.committed(tp)
                result[group][tp] = offset or 0
        finally:
            await consumer.stop()
    return result


def by_topic(offsets: Offsets) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for tp, offset in offsets.items():
        totals[tp.topic] += offset
    return totals


def behind(groups: dict[str, Offsets], marks: Offsets) -> dict[tuple[str, str], int | None]:
    """(group, topic) -> the records of the topic the group has not committed yet (its lag); None when
    a partition's high watermark could not be read, so that an unknown lag never passes for none."""
    lags: dict[tuple[str, str], int | None] = {}
    for group, offsets in groups.items():
        for tp, offset in offsets.items():
            key, mark = (group, tp.topic), marks.get(tp)
            so_far = lags.get(key, 0)
            lags[key] = None if mark is None or so_far is None else so_far + max(mark - offset, 0)
    return lags


async def lag(bootstrap: str, interval: float, pairs: set[tuple[str, str]]) -> str:
    topics = {topic for _group, topic in pairs}
    first_groups, first_marks = await committed(bootstrap, pairs), await high_watermarks(bootstrap, topics)
    began = time.monotonic()
    await asyncio.sleep(interval)
    second_groups = await committed(bootstrap, pairs)
    second_marks = await high_watermarks(bootstrap, topics)
    seconds = time.monotonic() - began
    produced_before, produced_now = by_topic(first_marks), by_topic(second_marks)
    lags = behind(second_groups, second_marks)
    lines = [f"{'group':<28} {'topic':<26} {'in msg/s':>9} {'done msg/s':>10} {'lag':>8}"]
    for group, offsets in sorted(second_groups.items()):
        before = by_topic(first_groups.get(group, {}))
        for topic, done in sorted(by_topic(offsets).items()):
            incoming = (produced_now.get(topic, 0) - produced_before.get(topic, 0)) / seconds
            consumed = (done - before.get(topic, done)) / seconds
            behind_by = lags[(group, topic)]
            shown = "?" if behind_by is None else str(behind_by)  # a watermark the broker did not give
            lines.append(f"{group:<28} {topic:<26} {incoming:9.1f} {consumed:10.1f} {shown:>8}")
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
    default_urls = ",".join(f"http://127.0.0.1:{port}" for port in DEFAULT_PORTS.values())
    lags.add_argument("--urls", default=default_urls, help="the services' base URLs, comma-separated")
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
        pairs = subscriptions(u for u in args.urls.split(",") if u)
        if not pairs:
            raise SystemExit(f"no service answered at {args.urls}")
        print(asyncio.run(lag(args.bootstrap, args.interval, pairs)))


if __name__ == "__main__":
    main()
