"""Wiring of the notifications service."""

from pathlib import Path

from runtime.service import ServiceDefinition
from services.notifications.adapters.orm import messaging, metadata
from services.notifications.entrypoints import http, stream
from services.notifications.settings import Settings


def definition(settings: Settings | None = None) -> ServiceDefinition:
    return ServiceDefinition(
        settings=settings or Settings(),
        title="FSE notifications",
        metadata=metadata,
        tables=messaging,
        migrations=Path(__file__).parent / "migrations",
        routers=[http.router],
        subscriptions=stream.subscriptions,
    )
