"""Where a claim's decision latency goes, hop by hop, from the events a client of the broker sees.

Every event carries two times: `time` in its envelope, set when the service emitted it inside its unit of
work, and the Kafka record's timestamp, set when the outbox relay handed it to the producer after the
commit. A service's hop runs from the moment the last of its inputs was published to the moment it
emitted its output; what follows, up to the output's own publication, is the rest of the batch, the
commit and the relay."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

Seen = tuple[float, float]
"""(emitted, published) of one event, in seconds since the epoch."""


@dataclass(frozen=True)
class Stage:
    name: str
    inputs: tuple[str, ...]
    """Event types the stage waits for (the last one published starts it); empty: the submission."""
    outputs: tuple[str, ...]


STAGES = (
    Stage("intake (claims)", (), ("ClaimReceived",)),
    Stage("eligibility", ("ClaimReceived",), ("EligibilityChecked",)),
    Stage("tariff", ("ClaimReceived", "EligibilityChecked"), ("ClaimPriced", "ClaimPricingRejected")),
    Stage(
        "decision (claims)",
        ("EligibilityChecked", "ClaimPriced", "ClaimPricingRejected"),
        ("ClaimAccepted", "ClaimRejected"),
    ),
)
RELAY = "commit and relay"
DELIVERY = "broker to client"
NAMES = (*(stage.name for stage in STAGES), RELAY, DELIVERY)
DECISIONS = ("ClaimAccepted", "ClaimRejected")


Claim = tuple[float, Mapping[str, Seen], float | None]
"""(the time its submission was sent, its events by type, the time a client saw its decision or None)."""


def claim_hops(claim: Claim) -> dict[str, list[float]]:
    """The seconds one claim spent in each hop (the relay once for each of its outputs); a hop whose
    events are missing (a claim rejected before pricing has no tariff hop) is left out."""
    sent, events, seen = claim
    spent: dict[str, list[float]] = {name: [] for name in NAMES}
    for stage in STAGES:
        output = next((events[t] for t in stage.outputs if t in events), None)
        started = [events[t][1] for t in stage.inputs if t in events] or ([] if stage.inputs else [sent])
        if output is None or not started:
            continue
        spent[stage.name].append(output[0] - max(started))
        spent[RELAY].append(output[1] - output[0])
    decision = next((events[t] for t in DECISIONS if t in events), None)
    if decision is not None and seen is not None:
        spent[DELIVERY].append(seen - decision[1])
    return spent


def hops(claims: Iterable[Claim]) -> dict[str, list[float]]:
    """The seconds each claim spent in each hop, all claims together."""
    spent: dict[str, list[float]] = {name: [] for name in NAMES}
    for claim in claims:
        for name, seconds in claim_hops(claim).items():
            spent[name].extend(seconds)
    return spent


def tail(claims: Iterable[Claim], share: float = 0.01) -> tuple[int, dict[str, float], dict[str, float]]:
    """Where the slowest decisions lost their time: the number of decided claims in the slowest `share`
    (at least one), and the mean seconds a claim spent in each hop among them and among all decided
    claims. A decided claim's hops add up to its decision latency, so the two means show which hops
    make the tail."""
    decided = [(claim[2] - claim[0], claim_hops(claim)) for claim in claims if claim[2] is not None]
    if not decided:
        return 0, {}, {}
    decided.sort(key=lambda item: item[0])
    slowest = decided[-max(1, round(len(decided) * share)) :]

    def mean(group: list[tuple[float, dict[str, list[float]]]]) -> dict[str, float]:
        return {name: sum(sum(spent[name]) for _, spent in group) / len(group) for name in NAMES}

    return len(slowest), mean(slowest), mean(decided)
