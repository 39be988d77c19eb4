"""The production compose file and Kubernetes manifests, checked by structure (no Docker engine here):
Kafka in KRaft with 3 brokers and durable settings, a database per service, probes and limits."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from runtime.messaging.relay import make_producer
from runtime.system import SERVICES
from services.notifications.settings import Settings as NotificationsSettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())  # type: ignore[no-any-return]


def manifests() -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        documents.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return documents


def find(kind: str, name: str) -> dict[str, Any]:
    matches = [d for d in manifests() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def container_env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "<from secret>") for e in container["env"]}


def test_the_files_are_generated_from_the_one_description() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "deploy.generate", "--check"],
        capture_output=True,
        text=True,
        cwd=DEPLOY.parent,
    )
    assert result.returncode == 0, result.stderr


def test_compose_runs_three_kraft_brokers_with_durable_settings() -> None:
    services = compose()["services"]
    brokers = [s for name, s in services.items() if name.startswith("kafka-")]
    assert len(brokers) == 3
    voters = {b["environment"]["KAFKA_CONTROLLER_QUORUM_VOTERS"] for b in brokers}
    assert len(voters) == 1
    assert len(voters.pop().split(",")) == 3
    assert {b["environment"]["KAFKA_NODE_ID"] for b in brokers} == {"0", "1", "2"}
    for broker in brokers:
        env = broker["environment"]
        assert "controller" in env["KAFKA_PROCESS_ROLES"]
        assert "broker" in env["KAFKA_PROCESS_ROLES"]
        assert "ZOOKEEPER" not in " ".join(env).upper()
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
        assert env["KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE"] == "false"
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3"
        assert broker["volumes"], "a broker keeps its log on a volume"


def test_compose_gives_each_service_its_own_postgresql_probes_and_limits() -> None:
    services = compose()["services"]
    for name in SERVICES:
        service = services[name]
        env = service["environment"]
        url = env[f"{name.upper()}_DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://")
        assert f"@postgres-{name}:5432/{name}" in url
        assert services[f"postgres-{name}"]["image"].startswith("postgres:")
        assert "/health" in " ".join(service["healthcheck"]["test"])
        limits = service["deploy"]["resources"]["limits"]
        assert limits["cpus"]
        assert limits["memory"]
        assert service["depends_on"]["topics"]["condition"] == "service_completed_successfully"
        assert "kafka-0.kafka:9092" in env["KAFKA_BOOTSTRAP_SERVERS"]
        # Kafka's fetch long-poll wakes on data: no 10 ms idle polling in production
        assert int(env["FSE_KAFKA_FETCH_MAX_WAIT_MS"]) >= 100
    assert "--replication-factor" in services["topics"]["command"]


def test_kubernetes_runs_kafka_as_three_kraft_brokers() -> None:
    kafka = find("StatefulSet", "kafka")
    assert kafka["spec"]["replicas"] == 3
    container = kafka["spec"]["template"]["spec"]["containers"][0]
    env = container_env(container)
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert len(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == 3
    assert (env["KAFKA_DEFAULT_REPLICATION_FACTOR"], env["KAFKA_MIN_INSYNC_REPLICAS"]) == ("3", "2")
    assert env["KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE"] == "false"
    assert container["resources"]["limits"]
    assert container["readinessProbe"]
    assert kafka["spec"]["volumeClaimTemplates"]
    assert find("PodDisruptionBudget", "kafka")["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("name", SERVICES)
def test_kubernetes_runs_each_service_with_probes_limits_and_its_database(name: str) -> None:
    deployment = find("Deployment", name)
    assert deployment["spec"]["replicas"] >= 2
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/health"
    limits = container["resources"]["limits"]
    assert re.fullmatch(r"\d+m?", limits["cpu"])
    assert limits["memory"].endswith("Mi")
    env = container_env(container)
    assert f"postgres-{name}:5432/{name}" in env[f"{name.upper()}_DATABASE_URL"]
    assert env["FSE_DATA_KEY"] == "<from secret>"
    assert ("FSE_AUTH_PRIVATE_KEY" in env) == (name == "auth")
    assert ("NOTIFICATIONS_SMTP_PASSWORD" in env) == (name == "notifications")
    assert find("StatefulSet", f"postgres-{name}")["spec"]["volumeClaimTemplates"]
    assert find("Service", name)["spec"]["ports"][0]["port"] == container["ports"][0]["containerPort"]


def test_notifications_submit_to_the_mail_relay_over_starttls_with_a_login_from_the_secrets() -> None:
    compose_env = compose()["services"]["notifications"]["environment"]
    container = find("Deployment", "notifications")["spec"]["template"]["spec"]["containers"][0]
    from_secrets = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
    for env in (compose_env, container_env(container)):
        assert (env["NOTIFICATIONS_SMTP_PORT"], env["NOTIFICATIONS_SMTP_STARTTLS"]) == ("587", "true")
    for key in ("NOTIFICATIONS_SMTP_HOST", "NOTIFICATIONS_SMTP_USERNAME", "NOTIFICATIONS_SMTP_PASSWORD"):
        assert compose_env[key] == f"${{{key}:?set {key}}}"  # compose refuses to start without it
        assert from_secrets[key]["name"] == "fse-secrets"
    # what the deployment sets, the service accepts (credentials only over TLS), read from its environment
    given = {key: "relay.example.mc" for key in from_secrets if key.startswith("NOTIFICATIONS_SMTP_")}
    settings = NotificationsSettings.model_validate(
        {key.removeprefix("NOTIFICATIONS_").lower(): value for key, value in (compose_env | given).items()}
    )
    assert (settings.smtp_port, settings.smtp_starttls, settings.smtp_username) == (
        587,
        True,
        "relay.example.mc",
    )


def test_a_job_creates_the_topics_with_replication_three_and_two_in_sync() -> None:
    job = find("Job", "fse-topics")
    command = job["spec"]["template"]["spec"]["containers"][0]["command"]
    # `runtime.ops topics` creates every topic of contracts.topics.with_dead_letters()
    assert command[:4] == ["python", "-m", "runtime.ops", "topics"]
    assert command[command.index("--replication-factor") + 1] == "3"
    assert command[command.index("--min-insync-replicas") + 1] == "2"


async def test_producers_wait_for_every_in_sync_replica() -> None:
    producer = make_producer("127.0.0.1:9", "check")  # constructed, never started: no broker contacted
    assert producer._sender._acks == -1  # acks="all"


def test_the_dashboard_shows_per_service_throughput_outbox_dead_letters_and_retentions() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "fse-dashboard.json").read_text())
    expressions = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for metric in (
        "faststream_received_messages_total",
        "faststream_received_processed_messages_duration_seconds_bucket",
        "fse_outbox_published_total",
        "fse_dead_lettered_total",
        "fse_periodic_last_success_timestamp_seconds",
        "fse_periodic_deleted_rows_total",
        "fse_periodic_rounds_total",
    ):
        assert metric in expressions
    assert "by (app_name, handler)" in expressions
