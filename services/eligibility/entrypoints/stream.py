"""The eligibility service's subscriptions."""

from __future__ import annotations

from collections.abc import Sequence

from contracts import topics
from contracts.claims import ClaimReceivedV1
from runtime.messaging.consumer import Subscription
from runtime.service import Runtime
from services.eligibility.service_layer.claims import on_claim_received


def subscriptions(_runtime: Runtime) -> Sequence[Subscription]:
    return [Subscription(topics.CLAIMS, "eligibility", {ClaimReceivedV1: on_claim_received})]
