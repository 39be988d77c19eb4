"""Wiring of the eligibility service."""

from datetime import UTC, datetime
from pathlib import Path

from runtime.periodic import Job
from runtime.service import Runtime, ServiceDefinition
from services.eligibility.adapters.orm import messaging, metadata
from services.eligibility.entrypoints import http, stream
from services.eligibility.service_layer import demo, retention
from services.eligibility.settings import Settings


def definition(settings: Settings | None = None) -> ServiceDefinition:
    settings = settings or Settings()

    def jobs(runtime: Runtime) -> list[Job]:
        async def purge() -> int:
            now = datetime.now(UTC)
            lookups = await retention.purge_expired_lookups(
                runtime.uow, now, settings.lookup_audit_retention_days
            )
            return lookups + await retention.forget_spent(runtime.uow, now, settings.longest_throttle_window)

        return [Job("lookups retention", settings.retention_interval_seconds, purge)]

    return ServiceDefinition(
        settings=settings,
        title="FSE eligibility",
        metadata=metadata,
        tables=messaging,
        migrations=Path(__file__).parent / "migrations",
        routers=[http.router],
        subscriptions=stream.subscriptions,
        on_startup=[demo.seed],
        on_shutdown=[demo.stop],
        jobs=jobs,
    )
