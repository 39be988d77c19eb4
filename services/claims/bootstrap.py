"""Wiring of the claims service."""

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from runtime.service import Runtime, ServiceDefinition
from services.claims.adapters.changes import ChangeSignal
from services.claims.adapters.orm import messaging, metadata
from services.claims.entrypoints import events, forms, history, http, payments, stream
from services.claims.service_layer.retention import run_periodically
from services.claims.settings import Settings


async def wake_streams_on_commit(runtime: Runtime) -> None:
    signal = runtime.extras.setdefault("changes", ChangeSignal())
    relay_committed = runtime.uow.on_commit

    def on_commit(rows: Sequence[Mapping[str, Any]]) -> None:
        relay_committed(rows)
        signal.notify()

    runtime.uow.on_commit = on_commit


async def start_retention(runtime: Runtime) -> None:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    job = run_periodically(runtime.uow, settings.retention_months, settings.retention_interval_seconds)
    runtime.extras["retention"] = asyncio.create_task(job, name="claims-retention")


async def stop_retention(runtime: Runtime) -> None:
    task = runtime.extras.get("retention")
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def definition(settings: Settings | None = None) -> ServiceDefinition:
    return ServiceDefinition(
        settings=settings or Settings(),
        title="FSE claims",
        metadata=metadata,
        tables=messaging,
        migrations=Path(__file__).parent / "migrations",
        routers=[events.router, history.router, http.router, payments.router, forms.router],
        subscriptions=stream.subscriptions,
        on_startup=[wake_streams_on_commit, start_retention],
        on_shutdown=[stop_retention],
    )
