"""Wiring of the claims service."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runtime.periodic import Job
from runtime.service import Runtime, ServiceDefinition
from services.claims.adapters.changes import ChangeSignal
from services.claims.adapters.orm import messaging, metadata
from services.claims.entrypoints import events, forms, history, http, payments, stream
from services.claims.service_layer import retention
from services.claims.settings import Settings


async def wake_streams_on_commit(runtime: Runtime) -> None:
    signal = runtime.extras.setdefault("changes", ChangeSignal())
    relay_committed = runtime.uow.on_commit

    def on_commit(rows: Sequence[Mapping[str, Any]]) -> None:
        relay_committed(rows)
        signal.notify()

    runtime.uow.on_commit = on_commit


def definition(settings: Settings | None = None) -> ServiceDefinition:
    settings = settings or Settings()

    def jobs(runtime: Runtime) -> list[Job]:
        async def purge() -> int:
            return await retention.purge_expired(runtime.uow, datetime.now(UTC), settings.retention_months)

        return [Job("claims retention", settings.retention_interval_seconds, purge)]

    return ServiceDefinition(
        settings=settings,
        title="FSE claims",
        metadata=metadata,
        tables=messaging,
        migrations=Path(__file__).parent / "migrations",
        routers=[events.router, history.router, http.router, payments.router, forms.router],
        subscriptions=stream.subscriptions,
        jobs=jobs,
        on_startup=[wake_streams_on_commit],
    )
