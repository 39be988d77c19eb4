"""Wiring of the tariff service."""

from pathlib import Path

from runtime.service import Runtime, ServiceDefinition
from services.tariff.adapters.orm import messaging, metadata
from services.tariff.domain.nomenclature import load
from services.tariff.entrypoints import http, stream
from services.tariff.settings import Settings


async def load_nomenclature(_runtime: Runtime) -> None:
    load()


def definition(settings: Settings | None = None) -> ServiceDefinition:
    return ServiceDefinition(
        settings=settings or Settings(),
        title="FSE tariff",
        metadata=metadata,
        tables=messaging,
        migrations=Path(__file__).parent / "migrations",
        routers=[http.router],
        subscriptions=stream.subscriptions,
        on_startup=[load_nomenclature],
    )
