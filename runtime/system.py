"""The whole system as processes: the broker (embedded unless KAFKA_BOOTSTRAP_SERVERS names one), the
topics, and each service in its own process with its own database under one data directory; the mailbox
(embedded unless NOTIFICATIONS_SMTP_HOST names a server) in a process of its own, as a relay would be."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from contracts.topics import with_dead_letters
from runtime.broker import EMBEDDED_PARTITIONS, PARTITIONS, ensure_topics
from runtime.keys import ensure_dev_keys
from runtime.mailsink import MailboxProcess
from runtime.processes import die_with_parent
from runtime.tansu import EmbeddedBroker, free_port

SERVICES = ("auth", "eligibility", "tariff", "claims", "notifications")
DEFAULT_PORTS = {"auth": 8001, "eligibility": 8002, "tariff": 8003, "claims": 8004, "notifications": 8005}


@dataclass
class System:
    data_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    broker_port: int | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    services: tuple[str, ...] = SERVICES
    embedded_partitions: int = EMBEDDED_PARTITIONS
    """Partitions per topic when the broker is the embedded one (Kafka's topics get `PARTITIONS`)."""
    broker: EmbeddedBroker | None = None
    bootstrap_servers: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    mailbox: MailboxProcess | None = None

    @classmethod
    def on_free_ports(cls, data_dir: Path, **kwargs: object) -> System:
        return cls(data_dir, ports={name: free_port() for name in SERVICES}, **kwargs)  # type: ignore[arg-type]

    def pids(self) -> dict[str, int]:
        """The system's processes by name: each service's, then the embedded broker's and mailbox's."""
        pids = {name: process.pid for name, process in self.processes.items()}
        if self.broker is not None and self.broker.process is not None:
            pids["broker"] = self.broker.process.pid
        if self.mailbox is not None and self.mailbox.process is not None:
            pids["mail"] = self.mailbox.process.pid
        return pids

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start_broker(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "logs").mkdir(exist_ok=True)
        ensure_dev_keys(self.data_dir)
        external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or self.extra_env.get("KAFKA_BOOTSTRAP_SERVERS")
        partitions = PARTITIONS
        if external:
            self.bootstrap_servers = external
        else:
            self.broker = EmbeddedBroker(self.broker_port, self.data_dir / "logs" / "broker.log").start()
            self.bootstrap_servers = self.broker.bootstrap_servers
            partitions = self.embedded_partitions
        asyncio.run(ensure_topics(self.bootstrap_servers, with_dead_letters(), partitions))
        if not (os.environ.get("NOTIFICATIONS_SMTP_HOST") or self.extra_env.get("NOTIFICATIONS_SMTP_HOST")):
            # The embedded default's mailbox: every e-mail lands in <data>/mail/messages.mbox. Not a
            # thread of this process: a benchmark's load and watcher run here, and would share its GIL.
            self.mailbox = MailboxProcess(self.data_dir / "mail").start()

    def environment(self, service: str) -> dict[str, str]:
        return {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "FSE_DATA_DIR": str(self.data_dir),
            f"{service.upper()}_HTTP_PORT": str(self.ports[service]),
            "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
            **self._mail_environment(),
            **self.extra_env,
        }

    def _mail_environment(self) -> dict[str, str]:
        if self.mailbox is None:
            return {}
        return {"NOTIFICATIONS_SMTP_HOST": "127.0.0.1", "NOTIFICATIONS_SMTP_PORT": str(self.mailbox.port)}

    def start_service(self, service: str) -> None:
        with open(self.log_path(service), "ab") as log:  # the child keeps its own copy
            self.processes[service] = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", f"services.{service}"],
                env=self.environment(service),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent(),
            )

    def log_path(self, service: str) -> Path:
        return self.data_dir / "logs" / f"{service}.log"

    def log_tail(self, service: str, lines: int = 20) -> str:
        """The last `lines` lines of the service's log: what a failed start said, kept in the error,
        since a benchmark's or a test's data directory is deleted with everything in it."""
        try:
            text = self.log_path(service).read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def wait_healthy(self, services: tuple[str, ...] | None = None, timeout: float = 90.0) -> None:
        pending = set(services or self.services)
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while pending and time.monotonic() < deadline:
                for service in sorted(pending):
                    process = self.processes[service]
                    if process.poll() is not None:
                        raise RuntimeError(
                            f"{service} exited with {process.returncode}; the end of its log, "
                            f"{self.log_path(service)}:\n{self.log_tail(service)}"
                        )
                    with contextlib.suppress(httpx.HTTPError):
                        if client.get(f"{self.url(service)}/health").status_code == 200:
                            pending.discard(service)
                time.sleep(0.2)
        if pending:
            raise TimeoutError(f"not healthy after {timeout}s: {sorted(pending)}")

    def start(self) -> System:
        self.start_broker()
        for service in self.services:
            self.start_service(service)
        self.wait_healthy()
        return self

    def stop_service(self, service: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(service, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)

    def stop(self) -> None:
        for service in list(self.processes):
            self.stop_service(service)
        if self.broker:
            self.broker.stop()
        if self.mailbox:
            self.mailbox.stop()
