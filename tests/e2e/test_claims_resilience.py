"""A transmission is acknowledged while eligibility and tariff are down, and decided once they are back;
one deleted meanwhile is never priced.

This module runs its own system on its own embedded broker (not the session's), so that stopping its
services cannot hand their partitions to the session system's instances of the same consumer groups."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bench.harness import read_only
from contracts import topics
from runtime.system import System
from tests.e2e.conftest import deletion_answer, deletion_answers, log_in
from tests.e2e.test_claim_path import demo_claim, wait_for_decision
from tests.helpers import eventually, read_to_end

pytestmark = pytest.mark.broker

DOWNSTREAM = ("eligibility", "tariff")


@pytest.fixture(scope="module")
def own_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    running = System.on_free_ports(Path(tmp_path_factory.mktemp("resilience")), extra_env={"FSE_DEMO": "1"})
    try:
        with pytest.MonkeyPatch.context() as environment:
            # Its own embedded broker even where KAFKA_BOOTSTRAP_SERVERS names a shared one: only the
            # start reads it, and the services (restarts included) are given this system's broker.
            environment.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
            running.start()
        assert running.broker is not None
        yield running
    finally:
        running.stop()


async def counts(system: System, service: str, expected: int, query: str, *parameters: str) -> bool:
    """Whether a count read from a running service's SQLite database (the embedded default) is `expected`."""
    with read_only(system.data_dir, service) as connection:
        return bool(connection.execute(query, parameters).fetchone()[0] == expected)


async def test_a_receipt_while_downstream_is_stopped_and_a_decision_once_it_is_back(
    own_system: System,
) -> None:
    doctor = log_in(own_system, "dr.martin")
    for service in DOWNSTREAM:
        own_system.stop_service(service)

    async with httpx.AsyncClient(base_url=own_system.url("claims"), headers=doctor) as client:
        response = await client.post("/claims", json=demo_claim("100001", "A1B2C3"))
        assert response.status_code == 202
        reference = response.json()["reference"]
        claim = (await client.get(f"/claims/{reference}")).json()
        before = datetime.now(UTC)
        second = (await client.post("/claims", json=demo_claim("100001", "A1B2C3"))).json()
        deleted = second["reference"]
        deletion = await client.delete(f"/claims/{deleted}")
        answer = deletion_answer(deletion)
        assert answer in deletion_answers(second["received_at"], before, datetime.now(UTC))
    assert claim["status"] == "received"

    for service in DOWNSTREAM:
        own_system.start_service(service)
    # Each restarted service rejoins its consumer groups one after the other, and the embedded broker
    # first waits out the stopped members' sessions: minutes on a loaded machine, not seconds.
    own_system.wait_healthy(DOWNSTREAM, timeout=300)
    decided = await wait_for_decision(own_system, doctor, reference)
    assert decided["status"] == "accepted"
    if answer is None:  # deleted (not from 22:00 to midnight in Monaco): never priced
        await not_priced(own_system, deleted)


async def not_priced(system: System, reference: str) -> None:
    """Once tariff has recorded the cancellation and published all it wrote, no ClaimPriced names the
    claim: a verdict read before the cancellation would have been priced and published by then, one read
    after it is skipped."""
    cancelled = "SELECT count(*) FROM cancelled_claims WHERE subject = ?"
    await eventually(lambda: counts(system, "tariff", 1, cancelled, reference), timeout=300)
    await eventually(lambda: counts(system, "tariff", 0, "SELECT count(*) FROM outbox"), timeout=60)
    priced = await read_to_end(system.bootstrap_servers, topics.TARIFF)
    assert [r for r in priced if r.key == reference.encode()] == []
    assert await eventually(lambda: counts(system, "eligibility", 1, cancelled, reference), timeout=60)
