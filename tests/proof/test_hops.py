"""The benchmark's hop-by-hop account of a claim's decision latency (bench.hops)."""

from __future__ import annotations

import uuid

import pytest

from bench.hops import DELIVERY, NAMES, RELAY, Claim, hops, tail
from bench.watch import emitted_at
from contracts.envelope import Envelope


def test_each_hop_runs_from_its_last_input_published_to_its_output_emitted() -> None:
    events = {
        "ClaimReceived": (10.010, 10.012),
        "EligibilityChecked": (10.030, 10.031),
        "ClaimPriced": (10.050, 10.054),
        "ClaimAccepted": (10.070, 10.075),
    }
    spent = hops([(10.000, events, 10.080)])
    assert spent["intake (claims)"] == pytest.approx([0.010])
    assert spent["eligibility"] == pytest.approx([0.018])  # from ClaimReceived published
    assert spent["tariff"] == pytest.approx([0.019])  # from EligibilityChecked, the later input
    assert spent["decision (claims)"] == pytest.approx([0.016])  # from ClaimPriced, the later verdict
    assert spent[RELAY] == pytest.approx([0.002, 0.001, 0.004, 0.005])
    assert spent[DELIVERY] == pytest.approx([0.005])


def test_a_hop_without_its_events_is_left_out() -> None:
    rejected_before_pricing = {
        "ClaimReceived": (1.0, 1.0),
        "EligibilityChecked": (1.5, 1.5),
        "ClaimRejected": (2.0, 2.25),
    }
    undecided = {"ClaimReceived": (3.0, 3.0)}
    spent = hops([(0.5, rejected_before_pricing, 2.5), (2.0, undecided, None)])
    assert spent["tariff"] == []
    assert spent["decision (claims)"] == pytest.approx([0.5])  # from EligibilityChecked alone
    assert spent["intake (claims)"] == pytest.approx([0.5, 1.0])
    assert spent[DELIVERY] == pytest.approx([0.25])  # the undecided claim has none


def test_the_tail_is_the_slowest_decisions_and_their_hops_add_up_to_their_latency() -> None:
    def accepted(sent: float, eligibility: float) -> Claim:
        received = sent + 0.010
        checked = received + eligibility
        return (
            sent,
            {
                "ClaimReceived": (received, received),
                "EligibilityChecked": (checked, checked),
                "ClaimPriced": (checked + 0.010, checked + 0.010),
                "ClaimAccepted": (checked + 0.020, checked + 0.021),
            },
            checked + 0.030,
        )

    # The slowest first, the fastest last: the tail is chosen by latency, not by order of arrival.
    claims: list[Claim] = [accepted(500.0, 0.5), accepted(600.0, 0.3)]
    claims += [accepted(float(i), 0.010) for i in range(198)]
    claims.append((700.0, {"ClaimReceived": (700.1, 700.1)}, None))  # undecided: not counted
    count, slowest, every = tail(claims)
    assert count == 2  # 1 % of the 200 decided
    assert slowest["eligibility"] == pytest.approx(0.4)
    assert every["eligibility"] == pytest.approx((198 * 0.010 + 0.8) / 200)
    assert sum(slowest.values()) == pytest.approx((0.5 + 0.040 + 0.3 + 0.040) / 2)
    assert slowest[RELAY] == pytest.approx(0.001)
    assert set(slowest) == set(NAMES)
    assert tail([claims[-1]]) == (0, {}, {})


def test_the_emission_time_is_read_from_the_envelope_without_parsing_the_body() -> None:
    envelope = Envelope(
        type="TestNoted",
        source="tests",
        subject="k",
        schema_version=1,
        correlation_id=uuid.uuid4(),
        data={"time": "2000-01-01T00:00:00Z"},  # the data comes after the envelope's own time
    )
    value = envelope.model_dump_json().encode()
    assert emitted_at(value) == pytest.approx(envelope.time.timestamp())
    assert emitted_at(b"not json") is None
    assert emitted_at(b'{"time":"yesterday"}') is None
