"""The notifications service's subscriptions: rejections, payments, and the contact projections."""

from __future__ import annotations

from collections.abc import Sequence

from contracts import topics
from contracts.auth import PractitionerActivatedV1, PractitionerDeactivatedV1
from contracts.claims import ClaimRejectedV1
from contracts.payments import PaymentIssuedV1
from contracts.rights import InsuredContactChangedV1
from runtime.messaging.consumer import Subscription
from runtime.service import Runtime
from services.notifications.service_layer.contacts import (
    on_insured_contact_changed,
    on_practitioner_activated,
    on_practitioner_deactivated,
)
from services.notifications.service_layer.rejections import on_claim_rejected, prefetch_rejected
from services.notifications.service_layer.statements import on_payment_issued


def subscriptions(runtime: Runtime) -> Sequence[Subscription]:
    """One consumer group named after the service (NOTIFICATIONS_SERVICE_NAME, "notifications").

    All background: nobody waits on a notice within the quarter-second (the delivery task starts a
    pass once a batch's notices are committed), and this group's fetch names the most partitions of
    all (four topics), which the embedded broker pays for at every fetch."""
    group = runtime.settings.service_name
    return [
        Subscription(
            topics.CLAIMS,
            group,
            {ClaimRejectedV1: on_claim_rejected},
            background=True,
            prefetch={ClaimRejectedV1: prefetch_rejected},
        ),
        Subscription(topics.PAYMENTS, group, {PaymentIssuedV1: on_payment_issued}, background=True),
        Subscription(
            topics.RIGHTS_FEED, group, {InsuredContactChangedV1: on_insured_contact_changed}, background=True
        ),
        Subscription(
            topics.AUTH,
            group,
            {
                PractitionerActivatedV1: on_practitioner_activated,
                PractitionerDeactivatedV1: on_practitioner_deactivated,
            },
            background=True,
        ),
    ]
