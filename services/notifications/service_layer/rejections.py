"""Turning a claim rejection into exactly one notice to the right person: the insured when the patient
paid, the professional under HNP."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.claims import ClaimRejectedV1, Notify
from contracts.envelope import Envelope
from runtime.messaging.uow import Unit
from services.notifications.adapters.contacts import ContactRepository
from services.notifications.adapters.notices import NoticeRepository
from services.notifications.domain.delivery import insured_channel, practitioner_channel
from services.notifications.domain.notices import rejection_key, rejection_notice
from services.notifications.service_layer.outgoing import record_notice


async def prefetch_rejected(unit: Unit, events: Sequence[ClaimRejectedV1]) -> None:
    """What a run of rejections reads, in three statements for the whole run: which of their notices
    exist, and the contacts of those they go to."""
    await NoticeRepository.of(unit).prefetch([rejection_key(event) for event in events])
    professional = [event for event in events if event.notify is Notify.PROFESSIONAL]
    insured = [event for event in events if event.notify is not Notify.PROFESSIONAL]
    await ContactRepository.of(unit).prefetch(
        [(event.fund.value, event.matricule) for event in insured],
        [event.practitioner_id for event in professional],
    )


async def on_claim_rejected(unit: Unit, envelope: Envelope, event: ClaimRejectedV1) -> None:
    contacts = ContactRepository.of(unit)
    if event.notify is Notify.PROFESSIONAL:
        channel = practitioner_channel(await contacts.practitioner_email(event.practitioner_id))
    else:
        channel = insured_channel(await contacts.insured(event.fund.value, event.matricule))
    await record_notice(unit, rejection_notice(event), [("to", channel)], cause=envelope)
