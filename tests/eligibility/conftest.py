"""The eligibility service's parts on the real broker and both databases."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from sqlalchemy import select

from contracts.envelope import Envelope, Payload
from runtime import db
from runtime.broker import DeadLetterPublisher, attach
from runtime.keys import auth_private_key
from runtime.messaging.consumer import Consumer, Subscription
from runtime.messaging.uow import UnitOfWork
from runtime.security import Actor, Role, issue_token
from runtime.service import build_app
from services.eligibility.adapters.orm import messaging, metadata
from services.eligibility.bootstrap import definition
from services.eligibility.settings import Settings
from tests.helpers import assigned


@pytest.fixture
def settings(database_url: str, data_dir: Path, kafka_bootstrap: str) -> Settings:
    return Settings(database_url=database_url, data_dir=data_dir, kafka_bootstrap_servers=kafka_bootstrap)


@pytest.fixture
async def uow(settings: Settings) -> AsyncIterator[UnitOfWork]:
    engine = db.make_engine(settings.resolved_database_url())
    await db.migrate(engine, definition(settings).migrations, metadata)
    yield UnitOfWork(db.sessions(engine), messaging, "tests")
    await engine.dispose()


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[FastAPI]:
    """The service started in process (its jobs included), without its subscriptions (the shared topics
    belong to the end-to-end system) or its demo data."""
    service = dataclasses.replace(definition(settings), subscriptions=lambda _runtime: (), on_startup=())
    app = build_app(service)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The service's HTTP API in process (`running`)."""
    async with running(settings) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://eligibility") as http:
            yield http


def bearer(
    data_dir: Path, role: Role, user: str = "dr.test", practitioner: str | None = "P-1"
) -> dict[str, str]:
    actor = Actor(user, role, practitioner, uuid.uuid4().hex, 0, "medecin")
    token = issue_token(auth_private_key(None, data_dir), actor, 300)
    return {"Authorization": f"Bearer {token}"}


async def publish(bootstrap: str, topic: str, items: Iterable[tuple[str, Envelope | bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for key, item in items:
            value = item if isinstance(item, bytes) else item.model_dump_json().encode()
            await producer.send_and_wait(topic, value, key=key.encode())
    finally:
        await producer.stop()


def wrap(payload: Payload, subject: str) -> Envelope:
    return Envelope.wrap(payload, source="tests/back-office", subject=subject)


@asynccontextmanager
async def consuming(bootstrap: str, subscription: Subscription, uow: UnitOfWork) -> AsyncIterator[Consumer]:
    broker = KafkaBroker(bootstrap)
    consumer = Consumer([subscription], uow, DeadLetterPublisher(broker))
    attach(broker, consumer, Settings(kafka_bootstrap_servers=bootstrap))
    await broker.start()
    try:
        yield consumer
    finally:
        await broker.stop()


async def emitted(uow: UnitOfWork, event_type: str) -> list[dict[str, Any]]:
    """The events the service wrote to its outbox (published by the relay once it runs)."""
    outbox = messaging.outbox
    async with uow() as unit:
        rows = await unit.session.execute(
            select(outbox.c.body).where(outbox.c.event_type == event_type).order_by(outbox.c.id)
        )
        bodies = list(rows.scalars())
    return [Envelope.model_validate_json(body).data for body in bodies]


async def published(bootstrap: str, topic: str, key: str, timeout: float = 30.0) -> Envelope:
    """The first event published on `topic` under `key`, read from the beginning without joining a group."""
    async with assigned(bootstrap, topic) as (consumer, _partitions):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    if record.key == key.encode():
                        return Envelope.model_validate_json(record.value)
        raise AssertionError(f"nothing published under the key within {timeout}s")
