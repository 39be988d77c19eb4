"""`python -m runtime.launcher`: the whole system on its embedded default, with demo data. Ctrl-C stops it."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from runtime.mailsink import MBOX
from runtime.system import SERVICES, System


def main() -> int:
    data_dir = Path(os.environ.get("FSE_DATA_DIR", "var")).resolve()
    system = System(
        data_dir,
        broker_port=int(os.environ.get("FSE_BROKER_PORT", "19092")),
        extra_env={"FSE_DEMO": os.environ.get("FSE_DEMO", "1")},
    )
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"Starting the FSE platform (data in {data_dir}) ...", flush=True)
    try:
        system.start()
        print(f"\nBroker: {system.bootstrap_servers}")
        for service in SERVICES:
            url = system.url(service)
            print(f"  {service:14} {url}   docs {url}/docs   events {url}/asyncapi   metrics {url}/metrics")
        for name in ("auth.txt", "eligibility.txt"):
            demo = data_dir / "demo" / name
            if demo.exists():
                print("\n" + demo.read_text().rstrip())
        if system.mailbox:
            print(f"\nE-mails (SMTP 127.0.0.1:{system.mailbox.port}) land in {data_dir / 'mail' / MBOX}")
        print(f"\nLogs in {data_dir / 'logs'}. Ctrl-C stops everything.", flush=True)
        while not stopping:
            for service, process in system.processes.items():
                if process.poll() is not None:
                    print(f"{service} exited with {process.returncode}; stopping", file=sys.stderr)
                    stopping = True
            time.sleep(0.5)
    finally:
        print("Stopping ...", flush=True)
        system.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
