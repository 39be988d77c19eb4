"""The notifications service's subscriptions."""

from __future__ import annotations

from collections.abc import Sequence

from contracts import topics
from contracts.claims import ClaimRejectedV1
from runtime.messaging.consumer import Subscription
from runtime.service import Runtime
from services.notifications.service_layer.rejections import on_claim_rejected


def subscriptions(_runtime: Runtime) -> Sequence[Subscription]:
    return [Subscription(topics.CLAIMS, "notifications", {ClaimRejectedV1: on_claim_rejected})]
