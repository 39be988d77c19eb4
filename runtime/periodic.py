"""A job a service runs as it starts and then at an interval for as long as it runs (retention): a
failed round is logged by name and tried again at the next."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def every(seconds: float, job: Callable[[], Awaitable[object]], what: str) -> None:
    while True:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("%s failed (%s); retrying later", what, type(error).__name__)
        await asyncio.sleep(seconds)
