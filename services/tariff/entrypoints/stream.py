"""The tariff service's subscriptions."""

from __future__ import annotations

from collections.abc import Sequence

from contracts import topics
from contracts.eligibility import EligibilityCheckedV1
from runtime.messaging.consumer import Subscription
from runtime.service import Runtime
from services.tariff.service_layer.claims import on_eligibility_checked


def subscriptions(_runtime: Runtime) -> Sequence[Subscription]:
    return [Subscription(topics.ELIGIBILITY, "tariff", {EligibilityCheckedV1: on_eligibility_checked})]
