"""Wiring of the eligibility service."""

from pathlib import Path

from runtime.service import ServiceDefinition
from services.eligibility.adapters.orm import messaging, metadata
from services.eligibility.entrypoints import http, stream
from services.eligibility.service_layer import demo
from services.eligibility.settings import Settings


def definition(settings: Settings | None = None) -> ServiceDefinition:
    return ServiceDefinition(
        settings=settings or Settings(),
        title="FSE eligibility",
        metadata=metadata,
        tables=messaging,
        migrations=Path(__file__).parent / "migrations",
        routers=[http.router],
        subscriptions=stream.subscriptions,
        on_startup=[demo.seed],
        on_shutdown=[demo.stop],
    )
