"""The tariff service's subscriptions: eligible claims to price, cancelled claims not to price, and
published nomenclature versions (each instance its own group: every instance applies every version).
The catalogue is loaded by a startup hook, before the service consumes anything."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from contracts.claims import ClaimCancelledV1
from contracts.eligibility import EligibilityCheckedV1
from contracts.tariff import NomenclatureVersionPublishedV1
from runtime.messaging.consumer import Subscription
from runtime.service import Runtime
from services.tariff.service_layer.catalogue import on_version_published
from services.tariff.service_layer.claims import (
    on_claim_cancelled,
    on_eligibility_checked,
    prefetch_checked,
)
from services.tariff.service_layer.state import TariffState
from services.tariff.settings import Settings


def subscriptions(state: TariffState, settings: Settings) -> Callable[[Runtime], Sequence[Subscription]]:
    def build(_runtime: Runtime) -> Sequence[Subscription]:
        return [
            Subscription(
                settings.eligibility_topic,
                settings.consumer_group,
                {EligibilityCheckedV1: partial(on_eligibility_checked, state)},
                prefetch={EligibilityCheckedV1: prefetch_checked},
            ),
            Subscription(
                settings.claims_topic,
                settings.consumer_group,
                {ClaimCancelledV1: on_claim_cancelled},
            ),
            Subscription(
                settings.nomenclature_topic,
                f"{settings.consumer_group}-nomenclature-{settings.instance_id}",
                {NomenclatureVersionPublishedV1: partial(on_version_published, state)},
                background=True,
            ),
        ]

    return build
