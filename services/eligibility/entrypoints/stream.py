"""The eligibility service's subscriptions: received and cancelled claims (one group on fse.claims, so
both are read in order per reference), and the back office's rights feed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from contracts import topics
from contracts.claims import ClaimCancelledV1, ClaimReceivedV1
from runtime.messaging.consumer import Subscription
from runtime.service import Runtime
from services.eligibility.service_layer import feed
from services.eligibility.service_layer.claims import (
    on_claim_cancelled,
    on_claim_received,
    prefetch_received,
)
from services.eligibility.settings import Settings


def subscriptions(runtime: Runtime) -> Sequence[Subscription]:
    settings = cast(Settings, runtime.settings)
    return [
        Subscription(
            topics.CLAIMS,
            "eligibility",
            {ClaimReceivedV1: on_claim_received, ClaimCancelledV1: on_claim_cancelled},
            prefetch={ClaimReceivedV1: prefetch_received},
        ),
        Subscription(topics.RIGHTS_FEED, "eligibility", feed.handlers(settings.code_fse_grace)),
    ]
