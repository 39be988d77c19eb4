"""The event loop every long-running process here runs on: libuv's (uvloop). The broker clients, the
SQLite worker threads and HTTP wake a loop on every message, and uvloop does each wake-up for a
fraction of the CPU of asyncio's own loop. The benchmarks' load and baseline processes run on it too,
so that what they measure is not the load generator's own loop."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")


def new_loop() -> asyncio.AbstractEventLoop:
    """A loop on uvloop: `run`'s, and that of a thread that runs one of its own (the embedded mailbox)."""
    return uvloop.new_event_loop()


def run(main: Coroutine[Any, Any, T]) -> T:
    with asyncio.Runner(loop_factory=new_loop) as runner:
        return runner.run(main)
