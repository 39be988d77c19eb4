"""Fixtures of the tariff tests: the shipped nomenclature and rules in memory, and the real service
(its app, database, broker consumers and outbox) started in-process."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from runtime import keys
from runtime.broker import ensure_topics
from runtime.security import Actor, Role, issue_token
from runtime.service import build_app
from services.tariff.adapters.shipped import read_rules
from services.tariff.bootstrap import definition
from services.tariff.domain.nomenclature import Catalogue
from services.tariff.domain.rules import Rules
from services.tariff.settings import Settings
from tests.tariff.examples import make_catalogue


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return make_catalogue()


@pytest.fixture(scope="session")
def rules() -> Rules:
    return read_rules()


@dataclass
class Service:
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings
    token: Callable[..., dict[str, str]]


def bearer(data_dir: Path) -> Callable[..., dict[str, str]]:
    private = keys.auth_private_key(None, data_dir)

    def headers(
        user: str = "dr-a", role: Role = Role.PRACTITIONER, practitioner: str | None = "dr-a"
    ) -> dict[str, str]:
        actor = Actor(user, role, practitioner, uuid.uuid4().hex, 0, "medecin")
        return {"Authorization": f"Bearer {issue_token(private, actor, 600)}"}

    return headers


@pytest.fixture
async def service(
    database_url: str, data_dir: Path, kafka_bootstrap: str, topic: str
) -> AsyncIterator[Service]:
    """The tariff service on a fresh database, consuming EligibilityChecked from a fresh topic,
    ClaimCancelled from another and nomenclature versions from a third, in consumer groups of its own."""
    group = f"tariff-{uuid.uuid4().hex[:8]}"
    versions_topic, claims_topic = (f"test.{uuid.uuid4().hex[:10]}" for _ in range(2))
    await ensure_topics(kafka_bootstrap, [versions_topic, f"{versions_topic}.dlt"], partitions=1)
    await ensure_topics(kafka_bootstrap, [claims_topic, f"{claims_topic}.dlt"], partitions=3)
    settings = Settings(
        database_url=database_url,
        data_dir=data_dir,
        kafka_bootstrap_servers=kafka_bootstrap,
        eligibility_topic=topic,
        claims_topic=claims_topic,
        nomenclature_topic=versions_topic,
        consumer_group=group,
    )
    app = build_app(definition(settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tariff") as client:
            yield Service(app, client, settings, bearer(data_dir))
