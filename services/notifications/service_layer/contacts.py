"""Keeping the contact projections: the insured's e-mail choices and the active professionals."""

from __future__ import annotations

from contracts.auth import PractitionerActivatedV1, PractitionerDeactivatedV1
from contracts.envelope import Envelope
from contracts.rights import InsuredContactChangedV1
from runtime.messaging.uow import Unit
from services.notifications.adapters.contacts import ContactRepository


async def on_insured_contact_changed(unit: Unit, _envelope: Envelope, event: InsuredContactChangedV1) -> None:
    await ContactRepository(unit.session).save_insured(event)


async def on_practitioner_activated(unit: Unit, _envelope: Envelope, event: PractitionerActivatedV1) -> None:
    await ContactRepository(unit.session).save_practitioner(
        event.practitioner_id, True, event.activated_at, email=str(event.email)
    )


async def on_practitioner_deactivated(
    unit: Unit, _envelope: Envelope, event: PractitionerDeactivatedV1
) -> None:
    await ContactRepository(unit.session).save_practitioner(
        event.practitioner_id, False, event.deactivated_at
    )
