"""Turning a claim rejection into exactly one notice to the right person: the insured when the patient
paid, the professional under HNP."""

from __future__ import annotations

from contracts.claims import ClaimRejectedV1, Notify
from contracts.envelope import Envelope
from runtime.messaging.uow import Unit
from services.notifications.adapters.contacts import ContactRepository
from services.notifications.domain.delivery import insured_channel, practitioner_channel
from services.notifications.domain.notices import rejection_notice
from services.notifications.service_layer.outgoing import record_notice


async def on_claim_rejected(unit: Unit, envelope: Envelope, event: ClaimRejectedV1) -> None:
    contacts = ContactRepository(unit.session)
    if event.notify is Notify.PROFESSIONAL:
        channel = practitioner_channel(await contacts.practitioner_email(event.practitioner_id))
    else:
        channel = insured_channel(await contacts.insured(event.fund.value, event.matricule))
    await record_notice(unit, rejection_notice(event), [("to", channel)], cause=envelope)
