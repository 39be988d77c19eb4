"""Writes of the beneficiary registry: upserts by natural key, so that applying a fact twice is harmless."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, and_, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from contracts.common import CardColour, Fund
from contracts.rights import MemberFacts
from services.eligibility.adapters.orm import card_colours, feed_versions, households, members, periods
from services.eligibility.adapters.repository import RegistryRepository
from services.eligibility.domain.codes import CodeFse


def match(table: Table, keys: Mapping[str, Any]) -> ColumnElement[bool]:
    return and_(*(table.c[name] == value for name, value in keys.items()))


class RegistryWriter:
    def __init__(self, session: AsyncConnection, fund: Fund, matricule: str) -> None:
        self.session = session
        self.fund, self.matricule = fund, matricule
        self.insured = {"fund": fund.value, "matricule": matricule}

    async def _upsert(self, table: Table, keys: Mapping[str, Any], values: Mapping[str, Any]) -> None:
        updated = await self.session.execute(table.update().where(match(table, keys)).values(**values))
        if updated.rowcount == 0:
            await self.session.execute(table.insert().values(**keys, **values))

    async def advance(self, aspect: str, sequence: int) -> bool:
        """Record `sequence` as the newest revision of `aspect`; False when a newer one was applied."""
        keys = {**self.insured, "aspect": aspect}
        query = select(feed_versions.c.sequence).where(match(feed_versions, keys))
        applied = (await self.session.execute(query)).scalar()
        if applied is not None and applied >= sequence:
            return False
        await self._upsert(feed_versions, keys, {"sequence": sequence})
        return True

    async def ensure_household(self) -> None:
        where = match(households, self.insured)
        if (await self.session.execute(select(households.c.fund).where(where))).first() is None:
            await self.session.execute(households.insert().values(**self.insured, forward_statements=False))

    async def replace_members(self, people: Sequence[MemberFacts]) -> None:
        await self.ensure_household()
        where = match(members, self.insured)
        await self.session.execute(delete(members).where(where))
        for person in people:
            await self.put_member(person)

    async def put_member(self, person: MemberFacts) -> None:
        await self._upsert(
            members,
            {**self.insured, "rank": person.rank},
            {
                "last_name": person.last_name,
                "first_name": person.first_name,
                "birth_date": person.birth_date,
                "relationship": person.relationship.value,
            },
        )

    async def put_period(self, rank: int, kind: str, start: date, end: date | None, scope: str = "") -> None:
        keys = {**self.insured, "rank": rank, "kind": kind, "scope": scope, "start": start}
        await self._upsert(periods, keys, {"end": end})

    async def set_colour(self, year: int, colour: CardColour) -> None:
        await self._upsert(card_colours, {**self.insured, "year": year}, {"colour": colour.value})

    async def code(self) -> CodeFse:
        return await RegistryRepository(self.session).code(self.fund, self.matricule)

    async def set_code(self, code: CodeFse) -> None:
        await self.ensure_household()
        await self._upsert(
            households,
            self.insured,
            {
                "code_fse_digest": code.current,
                "previous_code_digest": code.previous,
                "previous_code_until": code.previous_until,
                "code_issued_at": code.issued_at,
            },
        )

    async def set_contact(self, insurer_email: str | None, forward: bool, changed_at: datetime) -> bool:
        """Newest change wins (the contact event carries a time, not a sequence)."""
        await self.ensure_household()
        where = match(households, self.insured)
        known = (await self.session.execute(select(households.c.contact_changed_at).where(where))).scalar()
        if known is not None and known >= changed_at:
            return False
        await self._upsert(
            households,
            self.insured,
            {
                "complementary_insurer_email": insurer_email,
                "forward_statements": forward,
                "contact_changed_at": changed_at,
            },
        )
        return True
