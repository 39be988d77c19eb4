"""The notifications service in-process on the real broker and a real database, with a real SMTP server
(aiosmtpd) that keeps what arrives. Its inputs come from a fresh topic and its events go to another, so
that tests never see each other's messages; the service can be stopped and started again on the same
database and consumer group."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from contracts import notifications
from contracts.envelope import Envelope, Payload
from runtime.broker import ensure_topics
from runtime.keys import auth_private_key
from runtime.mailsink import MailSink
from runtime.messaging.consumer import Subscription
from runtime.security import Actor, Role, issue_token
from runtime.service import Runtime, build_app
from services.notifications.bootstrap import definition
from services.notifications.service_layer.delivery import DeliveryWorker
from services.notifications.settings import Settings
from tests.helpers import read_topic

OUTGOING = [
    notifications.MaintenanceScheduledV1,
    notifications.MaintenanceChangedV1,
    notifications.MaintenanceCancelledV1,
    notifications.NotificationSentV1,
    notifications.NotificationFailedV1,
    notifications.NotificationUndeliverableV1,
]


@pytest.fixture
def mail_sink() -> Iterator[MailSink]:
    sink = MailSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def sqlite_url(data_dir: Path, tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'notifications.db'}"


class Harness:
    """Starts and stops the service; publishes its input events; reads its output events."""

    def __init__(self, settings: Settings, inputs: str, outputs: str) -> None:
        self.settings = settings
        self.inputs = inputs
        self.outputs = outputs
        self.group = f"notifications-{inputs}"
        self.app: FastAPI | None = None
        self.client: httpx.AsyncClient | None = None
        self._stack: AsyncExitStack | None = None
        self._producer: AIOKafkaProducer | None = None

    def _subscriptions(self, runtime: Runtime) -> list[Subscription]:
        handlers: dict[type[Payload], Any] = {}
        prefetch: dict[type[Payload], Any] = {}
        for subscription in definition(self.settings).subscriptions(runtime):
            handlers.update(subscription.handlers)
            prefetch.update(subscription.prefetch)
        return [Subscription(self.inputs, self.group, handlers, prefetch=prefetch)]

    async def start(self) -> None:
        service = dataclasses.replace(definition(self.settings), subscriptions=self._subscriptions)
        self.app = build_app(service)
        self._stack = AsyncExitStack()
        await self._stack.enter_async_context(self.app.router.lifespan_context(self.app))
        transport = httpx.ASGITransport(app=self.app)
        self.client = await self._stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://notifications")
        )

    async def stop(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None

    @property
    def runtime(self) -> Runtime:
        assert self.app is not None
        return self.app.state.runtime  # type: ignore[no-any-return]

    @property
    def worker(self) -> DeliveryWorker:
        return self.runtime.extras["delivery"]  # type: ignore[no-any-return]

    async def publish(self, payload: Payload, subject: str, envelope: Envelope | None = None) -> Envelope:
        if self._producer is None:
            self._producer = AIOKafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap_servers)
            await self._producer.start()
        envelope = envelope or Envelope.wrap(payload, source="tests", subject=subject)
        await self._producer.send_and_wait(
            self.inputs, envelope.model_dump_json().encode(), key=subject.encode()
        )
        return envelope

    async def events(self, expected: int, timeout: float = 30.0) -> list[Envelope]:
        records = await read_topic(self.settings.kafka_bootstrap_servers, self.outputs, expected, timeout)
        return [Envelope.model_validate_json(r.value) for r in records]

    def operator(self) -> dict[str, str]:
        actor = Actor("ops-test", Role.OPERATOR, None, uuid.uuid4().hex, int(time.time()) + 600)
        token = issue_token(auth_private_key(None, self.settings.data_dir), actor, 600)
        return {"Authorization": f"Bearer {token}"}

    async def close(self) -> None:
        await self.stop()
        if self._producer is not None:
            await self._producer.stop()


async def make_harness(
    url: str,
    data_dir: Path,
    kafka_bootstrap: str,
    sink: MailSink,
    topic: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Harness:
    outputs = f"{topic}.out"
    await ensure_topics(kafka_bootstrap, [outputs], partitions=3)
    for model in OUTGOING:
        monkeypatch.setattr(model, "topic", outputs)
    settings = Settings(
        database_url=url,
        data_dir=data_dir,
        kafka_bootstrap_servers=kafka_bootstrap,
        smtp_port=sink.port,
        smtp_timeout_seconds=5.0,
        delivery_poll_seconds=0.1,
        retry_base_seconds=0.2,
        retry_max_seconds=1.0,
    )
    return Harness(settings, topic, outputs)


@pytest.fixture
async def service(
    sqlite_url: str,
    data_dir: Path,
    kafka_bootstrap: str,
    mail_sink: MailSink,
    topic: str,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Harness]:
    """The service on SQLite, started."""
    harness = await make_harness(sqlite_url, data_dir, kafka_bootstrap, mail_sink, topic, monkeypatch)
    await harness.start()
    yield harness
    await harness.close()


@pytest.fixture
async def durable_service(
    database_url: str,
    data_dir: Path,
    kafka_bootstrap: str,
    mail_sink: MailSink,
    topic: str,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Harness]:
    """The service on each database, not started: the test starts, stops and restarts it."""
    harness = await make_harness(database_url, data_dir, kafka_bootstrap, mail_sink, topic, monkeypatch)
    yield harness
    await harness.close()
