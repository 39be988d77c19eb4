"""Status changes as server-sent events: one claim's stream replays its changes and ends after the
final one; the signal wakes waiting streams at once."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from services.claims.adapters.changes import ChangeSignal
from services.claims.adapters.repository import ClaimRepository
from services.claims.domain.model import Status
from tests.claims.conftest import Claims, claim_body
from tests.helpers import eventually


async def test_a_claims_stream_replays_its_changes_and_ends_after_the_final_one(claims: Claims) -> None:
    reference = (await claims.client.post("/claims", json=claim_body(), headers=claims.headers())).json()[
        "reference"
    ]
    async with claims.runtime.uow() as unit:
        repository = ClaimRepository.of(unit)
        claim = await repository.get(reference)
        await repository.set_status(claim, Status.ELIGIBLE)
        await repository.decide(
            claim, Status.REJECTED, datetime.now(UTC), reason_code="ACT_UNKNOWN", reason="x"
        )

    response = await claims.client.get(f"/claims/{reference}/events", headers=claims.headers())

    assert response.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]
    assert [(e["status"], e["reason_code"]) for e in events] == [
        ("received", None),
        ("eligible", None),
        ("rejected", "ACT_UNKNOWN"),
    ]
    ids = [int(line[4:]) for line in response.text.splitlines() if line.startswith("id: ")]
    assert ids == sorted(ids)
    resumed = await claims.client.get(
        f"/claims/{reference}/events", headers={**claims.headers(), "Last-Event-ID": str(ids[1])}
    )
    assert [
        json.loads(line[6:])["status"] for line in resumed.text.splitlines() if line.startswith("data: ")
    ] == ["rejected"]
    other = await claims.client.get(f"/claims/{reference}/events", headers=claims.headers("prt-2"))
    assert other.status_code == 404


async def test_the_signal_wakes_every_waiting_stream() -> None:
    signal = ChangeSignal()
    started = 0

    async def stream() -> bool:
        nonlocal started
        started += 1  # and in the same step, with no await between, the wait takes the signal's event
        return await signal.wait(60)

    waiting = [asyncio.create_task(stream()) for _ in range(3)]

    async def all_waiting() -> bool:
        return started == 3

    await eventually(all_waiting, timeout=10, interval=0.01)
    signal.notify()
    assert await asyncio.gather(*waiting) == [True, True, True]
