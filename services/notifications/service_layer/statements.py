"""A payment to the insured: the statement (décompte) to the insured who chose e-mail, and a copy to
their complementary insurer when they consented."""

from __future__ import annotations

from contracts.envelope import Envelope
from contracts.payments import PaymentIssuedV1
from runtime.messaging.uow import Unit
from services.notifications.adapters.contacts import ContactRepository
from services.notifications.domain.delivery import insured_channel, insurer_channel
from services.notifications.domain.statements import statement_notices
from services.notifications.service_layer.outgoing import record_notice


async def on_payment_issued(unit: Unit, envelope: Envelope, event: PaymentIssuedV1) -> None:
    contacts = ContactRepository(unit.session)
    for matricule, notice in statement_notices(event):
        contact = await contacts.insured(event.fund.value, matricule)
        channels = [("to", insured_channel(contact)), ("insurer", insurer_channel(contact))]
        await record_notice(unit, notice, channels, cause=envelope)
