"""Wiring of the auth service."""

from pathlib import Path

from runtime.service import Runtime, ServiceDefinition
from services.auth.adapters.orm import messaging, metadata
from services.auth.entrypoints import http
from services.auth.service_layer import demo
from services.auth.settings import Settings


def definition(settings: Settings | None = None) -> ServiceDefinition:
    settings = settings or Settings()

    async def keep_signing_key(runtime: Runtime) -> None:
        runtime.extras["private_key"] = settings.resolved_private_key()
        runtime.extras["token_lifetime"] = settings.token_lifetime_seconds

    return ServiceDefinition(
        settings=settings,
        title="FSE auth",
        metadata=metadata,
        tables=messaging,
        migrations=Path(__file__).parent / "migrations",
        routers=[http.router],
        on_startup=[keep_signing_key, demo.seed],
    )
