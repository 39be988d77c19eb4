"""How a service is assembled: its definition (settings, tables, migrations, routes, subscriptions) in,
one ASGI app out, running the broker, the outbox relay and the HTTP API in one process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException

from runtime import crypto, db, heap, logs, loop, periodic, revocations
from runtime.broker import DeadLetterPublisher, OffsetCommitters, attach, make_broker, start_broker
from runtime.db import Sessions
from runtime.http import (
    BodyLimit,
    add_operational_routes,
    declared,
    document_errors,
    on_http_error,
    on_validation_error,
)
from runtime.messaging import inbox
from runtime.messaging.consumer import Consumer, Subscription, by_group
from runtime.messaging.grouped import GroupCommit
from runtime.messaging.relay import OutboxRelay
from runtime.messaging.tables import MessagingTables
from runtime.messaging.uow import UnitOfWork
from runtime.security import TokenVerifier
from runtime.settings import ServiceSettings

log = logging.getLogger(__name__)

Hook = Callable[["Runtime"], Awaitable[None]]


@dataclass
class ServiceDefinition:
    settings: ServiceSettings
    title: str
    metadata: MetaData
    tables: MessagingTables
    migrations: Path
    routers: Sequence[APIRouter] = ()
    subscriptions: Callable[[Runtime], Sequence[Subscription]] = lambda _runtime: ()
    jobs: Callable[[Runtime], Sequence[periodic.Job]] = lambda _runtime: ()
    """Run from start to stop, once the broker has started; every service also forgets old inbox rows."""
    on_startup: Sequence[Hook] = ()
    on_shutdown: Sequence[Hook] = ()


@dataclass
class Runtime:
    """The live parts of a service, reachable from routes (`RuntimeDep`) and hooks."""

    settings: ServiceSettings
    engine: AsyncEngine
    sessions: Sessions
    uow: UnitOfWork
    grouped: GroupCommit  # for HTTP writes that many callers make at once (claims intake)
    broker: KafkaBroker
    relay: OutboxRelay
    verifier: TokenVerifier
    registry: CollectorRegistry
    offsets: OffsetCommitters
    consumers: list[Consumer] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)


async def get_runtime(request: Request) -> Runtime:
    """Async: FastAPI runs a plain function dependency in a worker thread, a hop on every request."""
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def build_app(definition: ServiceDefinition, *, freeze_heap: bool = False) -> FastAPI:
    """The service's application; `freeze_heap` for a process of its own (`serve`), once started
    (runtime.heap: not for applications started inside a test process, whose objects it would keep)."""
    settings = definition.settings
    crypto.configure(settings.resolved_data_key())
    registry = CollectorRegistry()
    broker = make_broker(settings, registry)
    engine = db.make_engine(settings.resolved_database_url())
    sessions = db.sessions(engine)
    relay = OutboxRelay(
        sessions,
        definition.tables,
        settings.kafka_bootstrap_servers,
        f"{settings.service_name}-outbox",
    )
    uow = UnitOfWork(sessions, definition.tables, f"services/{settings.service_name}", relay.committed)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        uow=uow,
        grouped=GroupCommit(uow),
        broker=broker,
        relay=relay,
        verifier=TokenVerifier(settings.resolved_auth_public_key()),
        registry=registry,
        offsets=OffsetCommitters(settings.kafka_commit_interval_ms / 1000),
    )
    revocations.listen(
        broker, runtime.verifier.revocations, settings.service_name, settings.kafka_background_wait_ms
    )
    dead_letters = DeadLetterPublisher(broker)
    for group in by_group(definition.subscriptions(runtime)):
        consumer = Consumer(group, uow, dead_letters)
        runtime.consumers.append(consumer)
        attach(broker, consumer, settings, runtime.offsets)
    _metrics(runtime)
    meters = periodic.JobMeters(registry)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await db.migrate(engine, definition.migrations, definition.metadata)
        await relay.start()
        # The hooks first: a handler may wait for state a hook loads (tariff's catalogue), and on SQLite
        # it would wait holding the write lock that the hook needs.
        for hook in definition.on_startup:
            await hook(runtime)
        await start_broker(broker)
        days = settings.inbox_retention_days
        forget = periodic.Job(
            "inbox retention",
            inbox.INTERVAL_SECONDS,
            lambda: inbox.forget_processed(uow, definition.tables, days),
        )
        jobs = [
            asyncio.create_task(periodic.every(job.seconds, job.run, job.what, meters), name=job.what)
            for job in (forget, *definition.jobs(runtime))
        ]
        if freeze_heap:
            Gauge(
                "fse_gc_frozen_objects",
                "objects loaded at start-up, kept out of the garbage collector's passes (runtime.heap)",
                registry=registry,
            ).set(heap.freeze())
        log.info("%s started on %s:%d", settings.service_name, settings.http_host, settings.http_port)
        try:
            yield
        finally:
            for task in jobs:
                task.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)
            for hook in definition.on_shutdown:
                await _bounded(hook(runtime), f"shutdown hook {getattr(hook, '__name__', hook)}")
            await _bounded(runtime.offsets.flush(), "offset commits")
            await _bounded(broker.stop(), "broker")
            await _bounded(relay.stop(), "outbox relay")
            await _bounded(sessions.close(), "database sessions")
            await _bounded(engine.dispose(), "database engine")

    # The services' telemetry is their Prometheus metrics (/metrics); FastAPI's own OpenTelemetry,
    # never configured here, would otherwise look up three providers on every request.
    off: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
    app = FastAPI(title=definition.title, version="1", lifespan=lifespan, telemetry=off)
    app.state.runtime = runtime
    app.state.verifier = runtime.verifier
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_middleware(BodyLimit)
    add_operational_routes(app, broker, registry, definition.title)

    @app.get("/health", tags=["operations"], responses=declared(503))
    async def health() -> JSONResponse:
        checks = {"database": await _database_ok(engine), "broker": await broker.ping(timeout=2.0)}
        ok = all(checks.values())
        body = {"status": "ok" if ok else "degraded", "service": settings.service_name, "checks": checks}
        return JSONResponse(body, status_code=200 if ok else 503)

    for router in definition.routers:
        app.include_router(router)
    document_errors(app)
    return app


async def _bounded(step: Awaitable[None], what: str, seconds: float = 15.0) -> None:
    """A stopping service never hangs on one part: past `seconds` the part is abandoned and named."""
    try:
        await asyncio.wait_for(step, seconds)
    except TimeoutError:
        log.warning("%s did not stop within %.0f s; abandoned", what, seconds)


async def _database_ok(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def _metrics(runtime: Runtime) -> None:
    Gauge(
        "fse_outbox_published_total", "events published by the outbox relay", registry=runtime.registry
    ).set_function(lambda: runtime.relay.published)
    Gauge(
        "fse_dead_lettered_total", "messages sent to a dead-letter topic", registry=runtime.registry
    ).set_function(lambda: sum(c.dead_lettered for c in runtime.consumers))


def serve(definition: ServiceDefinition) -> None:
    settings = definition.settings
    logs.setup(settings.service_name)
    app = build_app(definition, freeze_heap=True)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        lifespan="on",
        access_log=False,
        http="httptools",  # the C parser; uvicorn's pure-Python h11 costs more per request than our route
    )
    loop.run(uvicorn.Server(config).serve())
