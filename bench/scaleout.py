"""Scale-out: a second instance of each consuming service (same database, another HTTP port) joins its
consumer groups; both share the partitions (two a topic on the embedded broker: `SCALE_OUT_PARTITIONS`);
one instance of each is then killed with SIGKILL and its partitions move to the survivor; every claim
still reaches exactly one final state, nothing twice.

    python -m bench.scaleout --claims 2000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx

from bench.consumption import read
from bench.crash import CONSUMERS, Verdict, submit_claims, verify
from bench.harness import log_in, new_run, on_a_system, proof_options
from runtime.broker import SCALE_OUT_PARTITIONS
from runtime.system import System
from runtime.tansu import free_port


def start_twin(system: System, service: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**system.environment(service), f"{service.upper()}_HTTP_PORT": str(port)}
    log = open(system.data_dir / "logs" / f"{service}-2.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", f"services.{service}"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, f"http://127.0.0.1:{port}"


async def wait_healthy(url: str, within: float = 120) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"{url}/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    raise TimeoutError(f"{url} not healthy")


async def scale_out(
    system: System, count: int, drain_seconds: float
) -> tuple[Verdict, dict[str, tuple[float, float]]]:
    token = await asyncio.to_thread(log_in, system)
    twins = {service: start_twin(system, service) for service in CONSUMERS}
    try:
        await asyncio.gather(*(wait_healthy(url) for _process, url in twins.values()))
        run = new_run()
        await submit_claims(system, token, run, count // 2)
        # Both instances of each group take part before one of them is killed.
        shares: dict[str, tuple[float, float]] = {}
        deadline = time.monotonic() + drain_seconds
        while time.monotonic() < deadline:
            shares = {s: (read(system.url(s)).messages, read(url).messages) for s, (_p, url) in twins.items()}
            if all(a > 0 and b > 0 for a, b in shares.values()):
                break
            await asyncio.sleep(1)
        for service in CONSUMERS:
            os.killpg(twins[service][0].pid, signal.SIGKILL)
        await submit_claims(system, token, run, count - count // 2, first=count // 2)
        verdict = await verify(system, run, count, drain_seconds)
        verdict.kills = [f"{s} (second instance)" for s in CONSUMERS]
        return verdict, shares
    finally:
        for process, _url in twins.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scaleout", description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=2000)
    proof_options(parser, drain_seconds=180, seeded=False)
    args = parser.parse_args(argv)
    verdict, shares = on_a_system(
        args.data_dir,
        lambda system: scale_out(system, args.claims, args.drain_seconds),
        partitions=SCALE_OUT_PARTITIONS,
    )
    for service, (first, second) in shares.items():
        print(f"{service:<14} received before the kill: instance 1 {first:.0f}, instance 2 {second:.0f}")
    print(verdict.report())
    raise SystemExit(0 if verdict.passed and all(a and b for a, b in shares.values()) else 1)


if __name__ == "__main__":
    main()
