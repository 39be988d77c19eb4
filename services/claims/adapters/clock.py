"""The service's clock: the time now, replaceable per process (tests set `runtime.extras["clock"]`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from runtime.service import Runtime


def now(runtime: Runtime) -> datetime:
    clock: Callable[[], datetime] = runtime.extras.get("clock") or (lambda: datetime.now(UTC))
    return clock()
