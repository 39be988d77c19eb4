"""Wiring of the auth service."""

from datetime import UTC, datetime
from pathlib import Path

from runtime.periodic import Job
from runtime.service import Runtime, ServiceDefinition
from services.auth.adapters.orm import messaging, metadata
from services.auth.entrypoints import accounts, assistants, http
from services.auth.service_layer import demo, retention
from services.auth.service_layer.tokens import Issuer
from services.auth.settings import Settings


def definition(settings: Settings | None = None) -> ServiceDefinition:
    settings = settings or Settings()

    async def keep_issuer(runtime: Runtime) -> None:
        runtime.extras["issuer"] = Issuer(settings.resolved_private_key(), settings.session_policy())

    def jobs(runtime: Runtime) -> list[Job]:
        async def purge() -> int:
            return await retention.purge_expired(
                runtime.uow, datetime.now(UTC), settings.session_retention_days
            )

        return [Job("sessions retention", settings.retention_interval_seconds, purge)]

    return ServiceDefinition(
        settings=settings,
        title="FSE auth",
        metadata=metadata,
        tables=messaging,
        migrations=Path(__file__).parent / "migrations",
        routers=[http.router, accounts.router, assistants.router],
        on_startup=[keep_issuer, demo.seed],
        jobs=jobs,
    )
