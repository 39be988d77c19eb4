"""Wiring of the auth service."""

from pathlib import Path

from runtime.service import Runtime, ServiceDefinition
from services.auth.adapters.orm import messaging, metadata
from services.auth.entrypoints import accounts, assistants, http
from services.auth.service_layer import demo
from services.auth.service_layer.tokens import Issuer
from services.auth.settings import Settings


def definition(settings: Settings | None = None) -> ServiceDefinition:
    settings = settings or Settings()

    async def keep_issuer(runtime: Runtime) -> None:
        runtime.extras["issuer"] = Issuer(settings.resolved_private_key(), settings.session_policy())

    return ServiceDefinition(
        settings=settings,
        title="FSE auth",
        metadata=metadata,
        tables=messaging,
        migrations=Path(__file__).parent / "migrations",
        routers=[http.router, accounts.router, assistants.router],
        on_startup=[keep_issuer, demo.seed],
    )
