"""Projections of the contacts this service needs: the insured's e-mail choices (rights feed) and the
professionals' addresses and activity (auth). Later facts win; older ones are ignored."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.rights import InsuredContactChangedV1
from runtime.messaging.uow import Unit
from services.notifications.adapters.orm import insured_contacts, practitioners
from services.notifications.domain.delivery import InsuredContact

# Built once: a statement built per call costs about as much again as running it (each rejection reads
# one of these).
_INSURED = select(insured_contacts).where(
    insured_contacts.c.fund == bindparam("fund"), insured_contacts.c.matricule == bindparam("matricule")
)
_INSUREDS = select(insured_contacts).where(  # those wanted, and any other pair of these values: filtered
    insured_contacts.c.fund.in_(bindparam("funds", expanding=True)),
    insured_contacts.c.matricule.in_(bindparam("matricules", expanding=True)),
)
_PRACTITIONER_EMAIL = select(practitioners.c.email).where(
    practitioners.c.practitioner_id == bindparam("practitioner")
)
_PRACTITIONER_EMAILS = select(practitioners.c.practitioner_id, practitioners.c.email).where(
    practitioners.c.practitioner_id.in_(bindparam("practitioners", expanding=True))
)


class ContactRepository:
    """Within a unit of work (`of`), a run of events reads the contacts it needs in one statement each
    (`prefetch`), for `insured` and `practitioner_email` to answer from; the projections' handlers,
    which change them, run in runs of their own (the consumer empties `Unit.prefetched` between runs)."""

    def __init__(self, session: AsyncConnection, unit: Unit | None = None) -> None:
        self.session = session
        self._unit = unit

    @classmethod
    def of(cls, unit: Unit) -> ContactRepository:
        return cls(unit.session, unit)

    async def prefetch(self, insured: Iterable[tuple[str, str]], practitioner_ids: Iterable[str]) -> None:
        """The contacts of these (fund, matricule) pairs and of these professionals."""
        if self._unit is None:
            return
        pairs, ids = set(insured), set(practitioner_ids)
        if pairs:
            params = {"funds": sorted({f for f, _ in pairs}), "matricules": sorted({m for _, m in pairs})}
            rows = {(row.fund, row.matricule): row for row in await self.session.execute(_INSUREDS, params)}
            found = {pair: _insured(rows.get(pair)) for pair in pairs}
            self._unit.prefetched.setdefault(_INSUREDS, {}).update(found)
        if ids:
            read = await self.session.execute(_PRACTITIONER_EMAILS, {"practitioners": sorted(ids)})
            emails = {row.practitioner_id: row.email for row in read}
            self._unit.prefetched.setdefault(_PRACTITIONER_EMAILS, {}).update({i: emails.get(i) for i in ids})

    def _prefetched(self, statement: Any) -> dict[Any, Any]:
        return self._unit.prefetched.get(statement, {}) if self._unit is not None else {}

    async def insured(self, fund: str, matricule: str) -> InsuredContact | None:
        known = self._prefetched(_INSUREDS)
        if (fund, matricule) in known:
            return known[(fund, matricule)]  # type: ignore[no-any-return]
        row = (await self.session.execute(_INSURED, {"fund": fund, "matricule": matricule})).first()
        return _insured(row)

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
        known = self._prefetched(_PRACTITIONER_EMAILS)
        if practitioner_id in known:
            return known[practitioner_id]  # type: ignore[no-any-return]
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


def _insured(row: Any) -> InsuredContact | None:
    if row is None:
        return None
    return InsuredContact(
        row.email, row.notify_by_email, row.insurer_email, row.forward_statements_to_insurer
    )
