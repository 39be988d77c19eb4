"""What a piece of a service costs in this process, for the in-process benchmarks (`bench.handlers`,
`bench.delivery`): CPU time, bytes written and elapsed time a unit of work (an event, an e-mail),
and their table over several runs (best and median CPU: on a busy shared machine the best run is the
one least disturbed); events as a consumer is handed them, fed to it in batches; HTTP requests handed
to a service's application as its server hands them, with no server and no socket, a batch at once."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from aiokafka.structs import ConsumerRecord
from starlette.types import ASGIApp, Message

from contracts.envelope import Envelope, Payload
from runtime.messaging.consumer import Consumer

Record: TypeAlias = ConsumerRecord[bytes, bytes]


@dataclass(frozen=True)
class Cost:
    """What a unit cost: CPU seconds, bytes written (None where /proc/self/io is not readable), elapsed
    seconds."""

    cpu: float
    written: float | None
    elapsed: float


def bytes_written() -> int | None:
    """Bytes this process has passed to write() so far (Linux): SQLite's WAL frames, for a service."""
    try:
        with open("/proc/self/io") as io:
            return next(int(line.split()[1]) for line in io if line.startswith("wchar:"))
    except (OSError, StopIteration):
        return None


class Meter:
    """Started when made; `cost(units)` is what each of `units` cost since."""

    def __init__(self) -> None:
        self._cpu, self._written, self._clock = time.process_time(), bytes_written(), time.perf_counter()

    def cost(self, units: int) -> Cost:
        cpu, written, elapsed = time.process_time(), bytes_written(), time.perf_counter()
        size = None if self._written is None or written is None else (written - self._written) / units
        return Cost((cpu - self._cpu) / units, size, (elapsed - self._clock) / units)


def report(runs: list[dict[str, Cost]], unit: str, out: Callable[[str], None] = print) -> None:
    """One line a step: CPU µs a unit (best, median), bytes written a unit and µs elapsed (medians)."""
    out(f"{'':22} {f'CPU µs {unit}':>19}   {'bytes written':>13}   {'µs elapsed':>10}")
    out(f"{'step':22} {'best':>9} {'median':>9}   {unit:>13}   {'median':>10}")
    for step in runs[0]:
        cpu = [run[step].cpu * 1e6 for run in runs]
        sizes = [run[step].written for run in runs]
        size = "n/a" if None in sizes else f"{statistics.median(s for s in sizes if s is not None):.0f}"
        elapsed = statistics.median(run[step].elapsed * 1e6 for run in runs)
        out(f"{step:22} {min(cpu):9.1f} {statistics.median(cpu):9.1f}   {size:>13}   {elapsed:10.0f}")


def record(topic: str, offset: int, key: bytes, value: bytes) -> Record:
    """As the consumer is handed it: the outbox relay's ce_type header names the event type."""
    headers = [("ce_type", Envelope.model_validate_json(value).type.encode())]
    return ConsumerRecord(
        topic, 0, offset, int(time.time() * 1000), 0, key, value, None, len(key), len(value), headers
    )


def event(payload: Payload, subject: str, offset: int, source: str = "bench") -> Record:
    value = Envelope.wrap(payload, source=source, subject=subject).model_dump_json().encode()
    return record(payload.topic, offset, subject.encode(), value)


async def feed(consumer: Consumer, records: list[Record], batch: int) -> Cost:
    """What `consumer` spends an event to process `records`, `batch` at a time."""
    meter = Meter()
    for first in range(0, len(records), batch):
        await consumer.process(records[first : first + batch])
    return meter.cost(len(records))


async def request(app: ASGIApp, method: str, path: str, body: bytes, headers: dict[str, str]) -> int:
    """The status `app` answers to one HTTP/1.1 request, handed over as an ASGI server would. Not
    httpx's ASGITransport, as the tests use: its client's own work would be counted in every figure."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    answered, status, body_sent = asyncio.Event(), 0, False

    async def receive() -> Message:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await answered.wait()  # the client stays until the answer is whole, as a server reports
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif not message.get("more_body"):
            answered.set()

    await app(scope, receive, send)
    return status


async def feed_requests(
    app: ASGIApp, path: str, bodies: list[bytes], headers: dict[str, str], batch: int, expect: int
) -> Cost:
    """What `app` spends a request to answer POSTs of `bodies` to `path`, `batch` at once (concurrent
    requests, as a server hands them over); each must be answered `expect`."""
    meter = Meter()
    for first in range(0, len(bodies), batch):
        chunk = bodies[first : first + batch]
        answers = await asyncio.gather(*(request(app, "POST", path, body, headers) for body in chunk))
        if wrong := [status for status in answers if status != expect]:
            raise RuntimeError(f"{len(wrong)} of {len(chunk)} requests answered {wrong[0]}, not {expect}")
    return meter.cost(len(bodies))
