"""The one set of fixtures for the whole suite: a real Kafka-protocol broker, real databases (SQLite and
the PostgreSQL at 127.0.0.1:5432), key material, and the whole system as processes."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bench.harness import fresh_database
from contracts.topics import with_dead_letters
from runtime import crypto
from runtime.broker import ensure_topics
from runtime.keys import ensure_dev_keys
from runtime.settings import ServiceSettings
from runtime.tansu import EmbeddedBroker

POSTGRES_ADMIN = os.environ.get("FSE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")

# Tansu joins a group in about half the session timeout, and most tests start a consumer group: keep it
# short in tests. 2 s took the whole suite from 733 to 514 s against 6 s; a member is dropped only when
# its loop goes 2 s without a heartbeat (one every 400 ms), some 25 times the longest batch (73 ms).
os.environ.setdefault("FSE_KAFKA_SESSION_TIMEOUT_MS", "2000")


def _patient_http_clients(seconds: float = 60.0) -> None:
    """httpx gives up after 5 s by default; on a shared 2-core machine a loaded service can take longer
    to answer, and a test must then wait (on its own deadline), not fail on the client's timeout."""
    for function in (
        httpx.Client.__init__,
        httpx.AsyncClient.__init__,
        httpx.request,
        httpx.get,
        httpx.post,
        httpx.put,
        httpx.delete,
        httpx.patch,
    ):
        function.__kwdefaults__["timeout"] = httpx.Timeout(seconds)  # type: ignore[index]


_patient_http_clients()


def _docker_answers() -> bool:
    """A Docker daemon answers. Not asked where its socket does not even exist: the client's failed
    connection to it leaves the socket open."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if host.startswith("unix://") and not Path(host.removeprefix("unix://")).exists():
        return False
    try:
        import docker  # type: ignore[import-untyped]

        client = docker.from_env(timeout=2)
    except Exception:
        return False
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        client.close()


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """KAFKA_BOOTSTRAP_SERVERS if set; else Kafka in testcontainers if a Docker daemon answers; else
    the embedded Tansu on a free port, stopped by its own pid."""
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    stop: Callable[[], object] | None
    if configured:
        servers = configured
        stop = None
    elif _docker_answers():
        from testcontainers.kafka import KafkaContainer

        container = KafkaContainer().with_kraft()
        container.start()
        servers, stop = container.get_bootstrap_server(), container.stop
    else:
        broker = EmbeddedBroker().start()
        servers, stop = broker.bootstrap_servers, broker.stop
    asyncio.run(ensure_topics(servers, with_dead_letters()))
    yield servers
    if stop:
        stop()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fse-data")
    ensure_dev_keys(path)
    crypto.configure(ServiceSettings(data_dir=path).resolved_data_key())
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, data_dir: Path, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind for one test."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    else:
        with fresh_database(POSTGRES_ADMIN) as url:
            yield url


@pytest.fixture
async def topic(kafka_bootstrap: str) -> str:
    """A fresh topic (and its dead-letter topic) for one test."""
    name = f"test.{uuid.uuid4().hex[:10]}"
    await ensure_topics(kafka_bootstrap, [name, f"{name}.dlt"], partitions=3)
    return name
