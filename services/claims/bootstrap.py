"""Wiring of the claims service."""

from pathlib import Path

from runtime.service import ServiceDefinition
from services.claims.adapters.orm import messaging, metadata
from services.claims.entrypoints import http, stream
from services.claims.settings import Settings


def definition(settings: Settings | None = None) -> ServiceDefinition:
    return ServiceDefinition(
        settings=settings or Settings(),
        title="FSE claims",
        metadata=metadata,
        tables=messaging,
        migrations=Path(__file__).parent / "migrations",
        routers=[http.router],
        subscriptions=stream.subscriptions,
    )
