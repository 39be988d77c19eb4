"""Child processes that never outlive the process that started them (a killed test run or launcher
leaves no broker or service behind); one that serves a port, started and waited for until it listens,
and stopped."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A `preexec_fn` asking Linux to send `sig` to the child when its parent dies (None elsewhere).

    Linux ties the signal to the thread that forked, so it is only asked from the main thread."""
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None

    def preexec() -> None:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, sig)

    return preexec


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Return once something listens on 127.0.0.1:`port`; raise if `process` exits first or `timeout`
    seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listened on {port} within {timeout}s: {process.args!r}")


def terminate(process: subprocess.Popen[bytes] | None, grace: float = 5.0) -> None:
    """SIGTERM, then SIGKILL if `process` has not exited within `grace` seconds; nothing if it is not
    running."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def start_listening(
    command: Sequence[str], port: int, timeout: float, **popen: Any
) -> subprocess.Popen[bytes]:
    """`command` started in a session of its own (`popen`: Popen's other arguments), returned once
    something listens on 127.0.0.1:`port`; terminated again if it exits first or `timeout` passes."""
    process = subprocess.Popen(command, start_new_session=True, **popen)  # noqa: S603
    try:
        wait_listening(port, process, timeout)
    except BaseException:
        terminate(process)
        raise
    return process
