"""What a service's consumers have done, read from its Prometheus metrics (/metrics): the messages they
received and the batches those came in. A batch pays the same fixed costs whatever its size (a fetch, a
transaction, a send, an offset commit), so batches per claim explain most of how a claim's CPU changes
with the offered rate."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from contracts import topics

_SAMPLE = r"^{name}\{{([^}}]*)\}} (\S+)$"
MESSAGES = re.compile(_SAMPLE.format(name="faststream_received_messages_total"), re.MULTILINE)
BATCHES = re.compile(
    _SAMPLE.format(name="faststream_received_processed_messages_duration_seconds_count"), re.MULTILINE
)
# Every instance reads all of fse.auth without a group (session revocations): nothing on the claim path.
EVERY_INSTANCE = f'handler="{topics.AUTH}"'


@dataclass(frozen=True)
class Consumption:
    messages: float = 0.0
    batches: float = 0.0

    def __sub__(self, other: Consumption) -> Consumption:
        return Consumption(self.messages - other.messages, self.batches - other.batches)


def parse(text: str) -> Consumption:
    """The claim path's totals in one /metrics page: every consumer group, not the revocations reader."""

    def total(pattern: re.Pattern[str]) -> float:
        return sum(float(v) for labels, v in pattern.findall(text) if EVERY_INSTANCE not in labels)

    return Consumption(total(MESSAGES), total(BATCHES))


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
