"""Projections of the contacts this service needs: the insured's e-mail choices (rights feed) and the
professionals' addresses and activity (auth). Later facts win; older ones are ignored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.rights import InsuredContactChangedV1
from services.notifications.adapters.orm import insured_contacts, practitioners
from services.notifications.domain.delivery import InsuredContact

# Built once: a statement built per call costs about as much again as running it (each rejection reads
# one of these).
_INSURED = select(insured_contacts).where(
    insured_contacts.c.fund == bindparam("fund"), insured_contacts.c.matricule == bindparam("matricule")
)
_PRACTITIONER_EMAIL = select(practitioners.c.email).where(
    practitioners.c.practitioner_id == bindparam("practitioner")
)


class ContactRepository:
    def __init__(self, session: AsyncConnection) -> None:
        self.session = session

    async def insured(self, fund: str, matricule: str) -> InsuredContact | None:
        row = (await self.session.execute(_INSURED, {"fund": fund, "matricule": matricule})).first()
        if row is None:
            return None
        return InsuredContact(
            row.email, row.notify_by_email, row.insurer_email, row.forward_statements_to_insurer
        )

    async def save_insured(self, event: InsuredContactChangedV1) -> None:
        key = (insured_contacts.c.fund == event.fund.value) & (
            insured_contacts.c.matricule == event.matricule
        )
        values = {
            "email": event.email,
            "notify_by_email": event.notify_by_email,
            "insurer_email": event.complementary_insurer_email,
            "forward_statements_to_insurer": event.forward_statements_to_insurer,
            "changed_at": event.changed_at,
        }
        known = (await self.session.execute(select(insured_contacts.c.changed_at).where(key))).first()
        if known is None:
            await self.session.execute(
                insured_contacts.insert().values(fund=event.fund.value, matricule=event.matricule, **values)
            )
        elif known.changed_at <= event.changed_at:
            await self.session.execute(update(insured_contacts).where(key).values(**values))

    async def practitioner_email(self, practitioner_id: str) -> str | None:
        row = await self.session.execute(_PRACTITIONER_EMAIL, {"practitioner": practitioner_id})
        return row.scalar_one_or_none()

    async def active_practitioners(self) -> list[tuple[str, str]]:
        """(id, e-mail) of every active professional with an address."""
        rows = await self.session.execute(
            select(practitioners.c.practitioner_id, practitioners.c.email)
            .where(practitioners.c.active.is_(True))
            .order_by(practitioners.c.practitioner_id)
        )
        return [(row.practitioner_id, row.email) for row in rows if row.email]

    async def save_practitioner(
        self, practitioner_id: str, active: bool, changed_at: datetime, email: str | None = None
    ) -> None:
        key = practitioners.c.practitioner_id == practitioner_id
        known = (await self.session.execute(select(practitioners.c.changed_at).where(key))).first()
        values: dict[str, object] = {"active": active, "changed_at": changed_at}
        if email is not None:
            values["email"] = email
        if known is None:
            await self.session.execute(
                practitioners.insert().values(practitioner_id=practitioner_id, **values)
            )
        elif known.changed_at <= changed_at:
            await self.session.execute(update(practitioners).where(key).values(**values))
