"""A transmission is acknowledged while eligibility and tariff are down, and decided once they are back.

This module runs its own system on its own embedded broker (not the session's), so that stopping its
services cannot hand their partitions to the session system's instances of the same consumer groups."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runtime.system import System
from tests.e2e.conftest import log_in
from tests.e2e.test_claim_path import demo_claim, wait_for_decision

pytestmark = pytest.mark.broker

DOWNSTREAM = ("eligibility", "tariff")


@pytest.fixture(scope="module")
def own_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        pytest.skip("needs its own embedded broker; KAFKA_BOOTSTRAP_SERVERS names a shared one")
    running = System.on_free_ports(Path(tmp_path_factory.mktemp("resilience")), extra_env={"FSE_DEMO": "1"})
    try:
        running.start()
        yield running
    finally:
        running.stop()


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
    assert claim["status"] == "received"

    for service in DOWNSTREAM:
        own_system.start_service(service)
    # Each restarted service rejoins its consumer groups one after the other, and the embedded broker
    # first waits out the stopped members' sessions: minutes on a loaded machine, not seconds.
    own_system.wait_healthy(DOWNSTREAM, timeout=300)
    decided = await wait_for_decision(own_system, doctor, reference)
    assert decided["status"] == "accepted"
