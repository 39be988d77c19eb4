"""Writes deploy/compose.yaml and deploy/k8s/*.yaml from one description of the production system, so
that the two stay alike: `python -m deploy.generate` (tests/deploy checks the files are current)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from deploy.grafana import dashboard

HERE = Path(__file__).parent
IMAGE = "registry.example.invalid/fse/platform:1"  # built from deploy/Dockerfile
KAFKA_IMAGE = "apache/kafka:3.9.1"
POSTGRES_IMAGE = "postgres:17"
CLUSTER_ID = "5L6g3nShT-eMCtK--X86sw"  # KRaft cluster id (kafka-storage.sh random-uuid)
BROKERS = 3
SERVICES = {"auth": 8001, "eligibility": 8002, "tariff": 8003, "claims": 8004, "notifications": 8005}
BOOTSTRAP = ",".join(f"kafka-{i}.kafka:9092" for i in range(BROKERS))
QUORUM = ",".join(f"{i}@kafka-{i}.kafka:9093" for i in range(BROKERS))
DURABILITY = {
    "KAFKA_DEFAULT_REPLICATION_FACTOR": "3",
    "KAFKA_MIN_INSYNC_REPLICAS": "2",
    "KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE": "false",
    "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
    "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "3",
    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "3",
    "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "2",
}
TOPICS_COMMAND = [
    "python", "-m", "runtime.ops", "topics", "--replication-factor", "3", "--min-insync-replicas", "2",
]  # fmt: skip
LIMITS = {"cpu": "1", "memory": "512Mi"}
REQUESTS = {"cpu": "250m", "memory": "256Mi"}


def kafka_env(node: int, host: str) -> dict[str, str]:
    return {
        "CLUSTER_ID": CLUSTER_ID,
        "KAFKA_NODE_ID": str(node),
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://{host}:9092",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_INTER_BROKER_LISTENER_NAME": "PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": QUORUM,
        "KAFKA_LOG_DIRS": "/var/lib/kafka/data",
        **DURABILITY,
    }


def service_env(name: str, database_host: str) -> dict[str, str]:
    prefix = name.upper()
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": BOOTSTRAP,
        f"{prefix}_HTTP_HOST": "0.0.0.0",  # noqa: S104 - inside the container, behind the platform's network
        f"{prefix}_HTTP_PORT": str(SERVICES[name]),
        f"{prefix}_DATABASE_URL": f"postgresql+psycopg://{name}@{database_host}:5432/{name}",
        "FSE_DATA_DIR": "/var/lib/fse",
        "FSE_KAFKA_SESSION_TIMEOUT_MS": "10000",
        # Apache Kafka answers a long-polling fetch as soon as data arrives: no need for the embedded
        # broker's 10 ms polls, each of which costs the broker and the service CPU while idle.
        "FSE_KAFKA_FETCH_MAX_WAIT_MS": "500",
        "FSE_KAFKA_BACKGROUND_WAIT_MS": "500",
    }
    if name == "notifications":
        # The organisation's mail relay: mail submission with STARTTLS, and a login (its host, login and
        # password come with the secrets below); the relay's certificate checked against the system's CAs.
        env |= {"NOTIFICATIONS_SMTP_PORT": "587", "NOTIFICATIONS_SMTP_STARTTLS": "true"}
    return env


SECRETS = {"FSE_DATA_KEY": "data-key", "FSE_AUTH_PUBLIC_KEY": "auth-public-key"}
OWN_SECRETS = {  # a service's own, beside SECRETS: environment variable -> key in the secret fse-secrets
    "auth": {"FSE_AUTH_PRIVATE_KEY": "auth-private-key"},
    "notifications": {
        "NOTIFICATIONS_SMTP_HOST": "smtp-host",
        "NOTIFICATIONS_SMTP_USERNAME": "smtp-username",
        "NOTIFICATIONS_SMTP_PASSWORD": "smtp-password",
    },
}


def compose() -> dict[str, Any]:
    services: dict[str, Any] = {}
    for i in range(BROKERS):
        services[f"kafka-{i}"] = {
            "image": KAFKA_IMAGE,
            "hostname": f"kafka-{i}.kafka",
            "networks": {"fse": {"aliases": [f"kafka-{i}.kafka"]}},
            "environment": kafka_env(i, f"kafka-{i}.kafka"),
            "volumes": [f"kafka-{i}:/var/lib/kafka/data"],
            "healthcheck": {
                "test": [
                    "CMD-SHELL",
                    "/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092",
                ],
                "interval": "10s",
                "timeout": "10s",
                "retries": 12,
            },
            "deploy": {"resources": {"limits": {"cpus": "2", "memory": "2g"}}},
            "restart": "unless-stopped",
        }
    for name in SERVICES:
        services[f"postgres-{name}"] = {
            "image": POSTGRES_IMAGE,
            "environment": {
                "POSTGRES_USER": name,
                "POSTGRES_DB": name,
                "POSTGRES_PASSWORD_FILE": "/run/secrets/postgres_password",
            },
            "secrets": ["postgres_password"],
            "volumes": [f"postgres-{name}:/var/lib/postgresql/data"],
            "networks": ["fse"],
            "healthcheck": {
                "test": ["CMD-SHELL", f"pg_isready -U {name} -d {name}"],
                "interval": "5s",
                "timeout": "5s",
                "retries": 12,
            },
            "deploy": {"resources": {"limits": {"cpus": "1", "memory": "1g"}}},
            "restart": "unless-stopped",
        }
    kafka_ready = {f"kafka-{i}": {"condition": "service_healthy"} for i in range(BROKERS)}
    services["topics"] = {
        "image": IMAGE,
        "command": TOPICS_COMMAND,
        "environment": {"KAFKA_BOOTSTRAP_SERVERS": BOOTSTRAP},
        "depends_on": kafka_ready,
        "networks": ["fse"],
        "restart": "on-failure",
    }
    for name, port in SERVICES.items():
        env = service_env(name, f"postgres-{name}")
        env[f"{name.upper()}_DATABASE_URL"] = env[f"{name.upper()}_DATABASE_URL"].replace(
            f"{name}@", f"{name}:${{POSTGRES_PASSWORD}}@"
        )
        env.update({key: f"${{{key}:?set {key}}}" for key in (*SECRETS, *OWN_SECRETS.get(name, {}))})
        services[name] = {
            "image": IMAGE,
            "command": ["python", "-m", f"services.{name}"],
            "environment": env,
            "ports": [f"{port}"],  # two replicas: the platform's balancer publishes the port
            "networks": ["fse"],
            "depends_on": {
                f"postgres-{name}": {"condition": "service_healthy"},
                "topics": {"condition": "service_completed_successfully"},
            },
            "healthcheck": {
                "test": [
                    "CMD",
                    "python",
                    "-c",
                    f"import urllib.request as u; u.urlopen('http://127.0.0.1:{port}/health')",
                ],
                "interval": "10s",
                "timeout": "5s",
                "start_period": "30s",
                "retries": 3,
            },
            "deploy": {
                "replicas": 2,
                "resources": {
                    "limits": {"cpus": LIMITS["cpu"], "memory": "512m"},
                    "reservations": {"cpus": "0.25", "memory": "256m"},
                },
            },
            "restart": "unless-stopped",
        }
    return {
        "name": "fse",
        "services": services,
        "networks": {"fse": {}},
        "volumes": {**{f"kafka-{i}": {} for i in range(BROKERS)}, **{f"postgres-{n}": {} for n in SERVICES}},
        "secrets": {"postgres_password": {"environment": "POSTGRES_PASSWORD"}},
    }


def _env_list(env: dict[str, str]) -> list[dict[str, Any]]:
    return [{"name": key, "value": value} for key, value in env.items()]


def _probe(port: int, delay: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": "/health", "port": port},
        "initialDelaySeconds": delay,
        "periodSeconds": 10,
        "timeoutSeconds": 5,
        "failureThreshold": 3,
    }


def kafka_manifests() -> list[dict[str, Any]]:
    env = kafka_env(0, "$(POD_NAME).kafka")
    del env["KAFKA_NODE_ID"], env["KAFKA_ADVERTISED_LISTENERS"]
    start = (
        'export KAFKA_NODE_ID="${POD_NAME##*-}"; '
        'export KAFKA_ADVERTISED_LISTENERS="PLAINTEXT://${POD_NAME}.kafka:9092"; '
        "exec /etc/kafka/docker/run"
    )
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "kafka", "namespace": "fse"},
            "spec": {
                "clusterIP": "None",
                "publishNotReadyAddresses": True,
                "selector": {"app": "kafka"},
                "ports": [{"name": "broker", "port": 9092}, {"name": "controller", "port": 9093}],
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "kafka", "namespace": "fse"},
            "spec": {
                "serviceName": "kafka",
                "replicas": BROKERS,
                "podManagementPolicy": "Parallel",
                "selector": {"matchLabels": {"app": "kafka"}},
                "template": {
                    "metadata": {"labels": {"app": "kafka"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "kafka",
                                "image": KAFKA_IMAGE,
                                "command": ["sh", "-c", start],
                                "env": [
                                    {
                                        "name": "POD_NAME",
                                        "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}},
                                    },
                                    *_env_list(env),
                                ],
                                "ports": [{"containerPort": 9092}, {"containerPort": 9093}],
                                "readinessProbe": {"tcpSocket": {"port": 9092}, "periodSeconds": 10},
                                "livenessProbe": {"tcpSocket": {"port": 9093}, "initialDelaySeconds": 60},
                                "resources": {
                                    "requests": {"cpu": "500m", "memory": "1Gi"},
                                    "limits": {"cpu": "2", "memory": "2Gi"},
                                },
                                "volumeMounts": [{"name": "data", "mountPath": "/var/lib/kafka/data"}],
                            }
                        ]
                    },
                },
                "volumeClaimTemplates": [_claim("data", "20Gi")],
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "kafka", "namespace": "fse"},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "kafka"}}},
        },
    ]


def _claim(name: str, size: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}},
    }


def postgres_manifests(name: str) -> list[dict[str, Any]]:
    app = f"postgres-{name}"
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": app, "namespace": "fse"},
            "spec": {"selector": {"app": app}, "ports": [{"port": 5432}]},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": app, "namespace": "fse"},
            "spec": {
                "serviceName": app,
                "replicas": 1,
                "selector": {"matchLabels": {"app": app}},
                "template": {
                    "metadata": {"labels": {"app": app}},
                    "spec": {
                        "containers": [
                            {
                                "name": "postgres",
                                "image": POSTGRES_IMAGE,
                                "env": [
                                    {"name": "POSTGRES_USER", "value": name},
                                    {"name": "POSTGRES_DB", "value": name},
                                    {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
                                    _secret("POSTGRES_PASSWORD", f"{name}-postgres-password"),
                                ],
                                "ports": [{"containerPort": 5432}],
                                "readinessProbe": {
                                    "exec": {"command": ["pg_isready", "-U", name, "-d", name]}
                                },
                                "livenessProbe": {
                                    "exec": {"command": ["pg_isready", "-U", name, "-d", name]},
                                    "initialDelaySeconds": 30,
                                },
                                "resources": {
                                    "requests": {"cpu": "250m", "memory": "512Mi"},
                                    "limits": {"cpu": "1", "memory": "1Gi"},
                                },
                                "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"}],
                            }
                        ]
                    },
                },
                "volumeClaimTemplates": [_claim("data", "10Gi")],
            },
        },
    ]


def _secret(env: str, key: str) -> dict[str, Any]:
    return {"name": env, "valueFrom": {"secretKeyRef": {"name": "fse-secrets", "key": key}}}


def service_manifests(name: str, port: int) -> list[dict[str, Any]]:
    env = service_env(name, f"postgres-{name}")
    url_key = f"{name.upper()}_DATABASE_URL"
    env[url_key] = env[url_key].replace(f"{name}@", f"{name}:$(POSTGRES_PASSWORD)@")
    secrets = [_secret("POSTGRES_PASSWORD", f"{name}-postgres-password")]
    secrets += [_secret(key, value) for key, value in (SECRETS | OWN_SECRETS.get(name, {})).items()]
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": "fse", "labels": {"app": name}},
            "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": port}]},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": "fse"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {
                        "labels": {"app": name},
                        "annotations": {
                            "prometheus.io/scrape": "true",
                            "prometheus.io/port": str(port),
                            "prometheus.io/path": "/metrics",
                        },
                    },
                    "spec": {
                        "terminationGracePeriodSeconds": 30,
                        "containers": [
                            {
                                "name": name,
                                "image": IMAGE,
                                "command": ["python", "-m", f"services.{name}"],
                                "env": [*secrets, *_env_list(env)],
                                "ports": [{"name": "http", "containerPort": port}],
                                "readinessProbe": _probe(port, 5),
                                "livenessProbe": _probe(port, 30),
                                "resources": {"requests": REQUESTS, "limits": LIMITS},
                                "securityContext": {
                                    "runAsNonRoot": True,
                                    "allowPrivilegeEscalation": False,
                                    "readOnlyRootFilesystem": True,
                                },
                                "volumeMounts": [{"name": "scratch", "mountPath": "/var/lib/fse"}],
                            }
                        ],
                        "volumes": [{"name": "scratch", "emptyDir": {}}],
                    },
                },
            },
        },
    ]


def topics_job() -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "fse-topics", "namespace": "fse"},
        "spec": {
            "backoffLimit": 10,
            "template": {
                "spec": {
                    "restartPolicy": "OnFailure",
                    "containers": [
                        {
                            "name": "topics",
                            "image": IMAGE,
                            "command": TOPICS_COMMAND,
                            "env": _env_list({"KAFKA_BOOTSTRAP_SERVERS": BOOTSTRAP}),
                            "resources": {"requests": REQUESTS, "limits": LIMITS},
                        }
                    ],
                }
            },
        },
    }


def manifests() -> dict[str, list[dict[str, Any]]]:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fse"}}
    files = {
        "00-namespace.yaml": [namespace],
        "10-kafka.yaml": kafka_manifests(),
        "20-postgres.yaml": [m for name in SERVICES for m in postgres_manifests(name)],
        "30-topics-job.yaml": [topics_job()],
        "40-services.yaml": [m for name, port in SERVICES.items() for m in service_manifests(name, port)],
    }
    return files


HEADER = "# Generated by `python -m deploy.generate` from deploy/generate.py: edit that, not this file.\n"


def rendered() -> dict[Path, str]:
    out = {HERE / "compose.yaml": HEADER + yaml.safe_dump(compose(), sort_keys=False, width=120)}
    out[HERE / "grafana" / "fse-dashboard.json"] = json.dumps(dashboard(), indent=2) + "\n"
    for name, documents in manifests().items():
        out[HERE / "k8s" / name] = HEADER + yaml.safe_dump_all(documents, sort_keys=False, width=120)
    return out


def main() -> None:
    check = "--check" in sys.argv
    stale = []
    for path, text in rendered().items():
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if stale:
        sys.exit(f"stale: {', '.join(stale)}; run python -m deploy.generate")


if __name__ == "__main__":
    main()
