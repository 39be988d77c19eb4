"""Scale-out: a second instance of each consuming service (same database, another HTTP port) joins its
consumer groups; both share the partitions (two a topic on the embedded broker: `SCALE_OUT_PARTITIONS`);
halfway through the claims, sent evenly over the load, one instance of each is killed with SIGKILL
and its partitions move to the survivor; every claim still reaches exactly one final state, nothing
twice, and the kills found claims in flight.

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
from bench.crash import (
    CONSUMERS,
    MAIL_SETTINGS,
    Kill,
    Progress,
    Verdict,
    final_states,
    submit_claims,
    verify,
)
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
    system: System, count: int, drain_seconds: float, seconds: float
) -> tuple[Verdict, dict[str, tuple[float, float]]]:
    token = await asyncio.to_thread(log_in, system)
    twins = {service: start_twin(system, service) for service in CONSUMERS}
    try:
        await asyncio.gather(*(wait_healthy(url) for _process, url in twins.values()))
        progress = Progress(new_run())
        sending = asyncio.create_task(submit_claims(system, token, progress, count, seconds))
        # Both instances of each group take part, and half the claims are out, before one is killed.
        shares: dict[str, tuple[float, float]] = {}
        deadline = time.monotonic() + drain_seconds
        while time.monotonic() < deadline and not sending.done():
            shares = {s: (read(system.url(s)).messages, read(url).messages) for s, (_p, url) in twins.items()}
            if all(a > 0 and b > 0 for a, b in shares.values()) and progress.sent >= count // 2:
                break
            await asyncio.sleep(0.5)
        final = len(await asyncio.to_thread(final_states, system, progress.run))
        kills = []
        for service in CONSUMERS:
            os.killpg(twins[service][0].pid, signal.SIGKILL)
            kills.append(Kill(f"{service} (second instance)", progress.elapsed(), progress.sent - final))
        await sending
        verdict = await verify(system, progress.run, count, drain_seconds)
        verdict.kills = kills
        return verdict, shares
    finally:
        for process, _url in twins.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scaleout", description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=2000)
    parser.add_argument(
        "--seconds", type=float, default=30.0, help="the claims are sent evenly over this load"
    )
    proof_options(parser, drain_seconds=180, seeded=False)
    args = parser.parse_args(argv)
    verdict, shares = on_a_system(
        args.data_dir,
        lambda system: scale_out(system, args.claims, args.drain_seconds, args.seconds),
        partitions=SCALE_OUT_PARTITIONS,
        env=MAIL_SETTINGS,
        postgres=args.postgres,
    )
    for service, (first, second) in shares.items():
        print(f"{service:<14} received before the kill: instance 1 {first:.0f}, instance 2 {second:.0f}")
    print(verdict.report())
    raise SystemExit(0 if verdict.passed and all(a and b for a, b in shares.values()) else 1)


if __name__ == "__main__":
    main()
