"""Wiring of the tariff service."""

from pathlib import Path

from contracts.common import CardColour
from runtime.service import Runtime, ServiceDefinition
from services.tariff.adapters.orm import messaging, metadata
from services.tariff.adapters.shipped import read_rules
from services.tariff.domain.rules import Rules
from services.tariff.entrypoints import http, http_practice, http_versions, stream
from services.tariff.service_layer.catalogue import load_catalogue
from services.tariff.service_layer.state import TariffState
from services.tariff.settings import Settings


def configured_rules(settings: Settings) -> Rules:
    rules = read_rules()
    if settings.fee_maximum_rose is not None:
        rules = rules.with_fee_maximum(CardColour.ROSE, settings.fee_maximum_rose)
    if settings.fee_maximum_bulle is not None:
        rules = rules.with_fee_maximum(CardColour.BULLE, settings.fee_maximum_bulle)
    return rules


def definition(settings: Settings | None = None) -> ServiceDefinition:
    settings = settings or Settings()
    state = TariffState(rules=configured_rules(settings))

    async def load(runtime: Runtime) -> None:
        runtime.extras["tariff"] = state
        await load_catalogue(runtime.uow, runtime.sessions, state)

    return ServiceDefinition(
        settings=settings,
        title="FSE tariff",
        metadata=metadata,
        tables=messaging,
        migrations=Path(__file__).parent / "migrations",
        routers=[http.router, http_versions.router, http_practice.router],
        subscriptions=stream.subscriptions(state, settings),
        on_startup=[load],
    )
