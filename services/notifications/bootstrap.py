"""Wiring of the notifications service: the subscriptions, the HTTP routes, and the delivery task that
works the pending e-mails from start to stop."""

from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import Gauge

from runtime.db import is_postgres
from runtime.periodic import Job
from runtime.service import Runtime, ServiceDefinition
from services.notifications.adapters.orm import messaging, metadata
from services.notifications.adapters.smtp import Mailer
from services.notifications.domain.delivery import RetryPolicy
from services.notifications.entrypoints import http, maintenance, stream
from services.notifications.service_layer import demo, retention
from services.notifications.service_layer.delivery import DeliveryWorker
from services.notifications.settings import Settings


def _metrics(runtime: Runtime) -> None:
    def count(attribute: str) -> float:
        return float(getattr(runtime.extras["delivery"], attribute))

    Gauge(
        "fse_notifications_sent_total", "e-mails accepted by the SMTP server", registry=runtime.registry
    ).set_function(lambda: count("sent"))
    Gauge(
        "fse_notifications_failed_total", "failed e-mail delivery attempts", registry=runtime.registry
    ).set_function(lambda: count("failed"))


def definition(settings: Settings | None = None) -> ServiceDefinition:
    settings = settings or Settings()

    async def start_delivery(runtime: Runtime) -> None:
        worker = DeliveryWorker(
            runtime.uow,
            runtime.sessions,
            Mailer(settings),
            RetryPolicy(
                settings.retry_base_seconds, settings.retry_max_seconds, settings.delivery_max_attempts
            ),
            lock_rows=is_postgres(runtime.engine),
            poll_seconds=settings.delivery_poll_seconds,
            batch=settings.delivery_batch,
            senders=settings.delivery_senders,
            lease_seconds=settings.delivery_lease_seconds,
        )
        if "delivery" not in runtime.extras:
            _metrics(runtime)
        runtime.extras["delivery"] = worker
        worker.start()

    async def stop_delivery(runtime: Runtime) -> None:
        await runtime.extras["delivery"].stop(settings.smtp_timeout_seconds + 5)

    def jobs(runtime: Runtime) -> list[Job]:
        async def purge() -> int:
            return await retention.purge_expired(runtime.uow, datetime.now(UTC), settings.retention_days)

        return [Job("notices retention", settings.retention_interval_seconds, purge)]

    return ServiceDefinition(
        settings=settings,
        title="FSE notifications",
        metadata=metadata,
        tables=messaging,
        migrations=Path(__file__).parent / "migrations",
        routers=[http.router, maintenance.router],
        subscriptions=stream.subscriptions,
        jobs=jobs,
        on_startup=[demo.seed, start_delivery],
        on_shutdown=[stop_delivery],
    )
