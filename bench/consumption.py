"""What a service's consumers and outbox relay have done, read from its Prometheus metrics (/metrics): the
messages received, the batches those came in, and the events published. A batch pays the same fixed
costs whatever its size (a fetch, a transaction, a send, an offset commit), so batches per claim show
how a claim's CPU changes with the offered rate; totals that stop moving show that the work a run
caused is over (`settle`), its last e-mails included."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from contracts import topics

_SAMPLE = r"^{name}\{{([^}}]*)\}} (\S+)$"
MESSAGES = re.compile(_SAMPLE.format(name="faststream_received_messages_total"), re.MULTILINE)
BATCHES = re.compile(
    _SAMPLE.format(name="faststream_received_processed_messages_duration_seconds_count"), re.MULTILINE
)
PUBLISHED = re.compile(r"^fse_outbox_published_total (\S+)$", re.MULTILINE)
# Every instance reads all of fse.auth without a group (session revocations): nothing on the claim path.
EVERY_INSTANCE = f'handler="{topics.AUTH}"'


@dataclass(frozen=True)
class Consumption:
    messages: float = 0.0
    batches: float = 0.0
    published: float = 0.0

    def __sub__(self, other: Consumption) -> Consumption:
        return Consumption(
            self.messages - other.messages, self.batches - other.batches, self.published - other.published
        )


def parse(text: str) -> Consumption:
    """The claim path's totals in one /metrics page: every consumer group, not the revocations reader."""

    def total(pattern: re.Pattern[str]) -> float:
        return sum(float(v) for labels, v in pattern.findall(text) if EVERY_INSTANCE not in labels)

    published = PUBLISHED.search(text)
    return Consumption(total(MESSAGES), total(BATCHES), float(published.group(1)) if published else 0.0)


def read(url: str) -> Consumption:
    """The service at `url`'s totals so far; nothing when it does not answer (stopped, restarting)."""
    try:
        return parse(httpx.get(f"{url}/metrics", timeout=5).text)
    except httpx.HTTPError:
        return Consumption()


def batches_line(before: dict[str, Consumption], after: dict[str, Consumption], claims: int) -> str:
    """Batches each service handled per claim decided, with the messages a batch held on average."""
    if not claims:
        return "n/a"
    parts = []
    for name, now in after.items():
        done = now - before.get(name, Consumption())
        size = f"{done.messages / done.batches:.1f}" if done.batches else "-"
        parts.append(f"{name} {done.batches / claims:.2f} ({size})")
    return ", ".join(parts)


async def settle(
    read: Callable[[], dict[str, Consumption]], interval: float = 1.0, limit: float = 60.0
) -> tuple[float, dict[str, Consumption]]:
    """Wait until two readings `interval` apart are the same (nothing consumed or published meanwhile:
    the work of the last run is over), for at most `limit` seconds; the seconds waited and the last
    reading. `read` runs on a worker thread (it makes HTTP requests)."""
    started = time.monotonic()
    last = await asyncio.to_thread(read)
    while time.monotonic() - started < limit:
        await asyncio.sleep(interval)
        now = await asyncio.to_thread(read)
        if now == last:
            break
        last = now
    return time.monotonic() - started, last
