"""Each practitioner's favourite acts, basket and named pre-coded FSEs; every query is scoped by the
practitioner id, so that nobody reads or deletes another practitioner's rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.tariff.adapters.orm import baskets, favourites, templates


class PracticeRepository:
    def __init__(self, session: AsyncConnection, practitioner_id: str) -> None:
        self.session = session
        self.practitioner_id = practitioner_id

    async def favourites(self) -> list[dict[str, Any]]:
        rows = await self.session.execute(
            select(favourites.c.id, favourites.c.act)
            .where(favourites.c.practitioner_id == self.practitioner_id)
            .order_by(favourites.c.created_at, favourites.c.id)
        )
        return [{"id": row.id, "act": row.act} for row in rows]

    async def count_favourites(self) -> int:
        query = select(func.count()).where(favourites.c.practitioner_id == self.practitioner_id)
        return int((await self.session.execute(query)).scalar_one())

    async def add_favourite(self, act: dict[str, Any]) -> str:
        identifier = str(uuid.uuid4())
        await self.session.execute(
            insert(favourites).values(
                id=identifier, practitioner_id=self.practitioner_id, act=act, created_at=datetime.now(UTC)
            )
        )
        return identifier

    async def delete_favourite(self, identifier: str) -> bool:
        result = await self.session.execute(
            delete(favourites).where(
                favourites.c.id == identifier, favourites.c.practitioner_id == self.practitioner_id
            )
        )
        return bool(result.rowcount)

    async def basket(self) -> list[dict[str, Any]]:
        query = select(baskets.c.acts).where(baskets.c.practitioner_id == self.practitioner_id)
        acts = (await self.session.execute(query)).scalar_one_or_none()
        return list(acts or [])

    async def set_basket(self, acts: list[dict[str, Any]]) -> None:
        now = datetime.now(UTC)
        result = await self.session.execute(
            update(baskets)
            .where(baskets.c.practitioner_id == self.practitioner_id)
            .values(acts=acts, updated_at=now)
        )
        if not result.rowcount:
            await self.session.execute(
                insert(baskets).values(practitioner_id=self.practitioner_id, acts=acts, updated_at=now)
            )

    async def templates(self) -> list[dict[str, Any]]:
        rows = await self.session.execute(
            select(templates.c.id, templates.c.name, templates.c.acts)
            .where(templates.c.practitioner_id == self.practitioner_id)
            .order_by(templates.c.name)
        )
        return [{"id": row.id, "name": row.name, "acts": row.acts} for row in rows]

    async def template(self, identifier: str) -> dict[str, Any] | None:
        row = (
            await self.session.execute(
                select(templates.c.id, templates.c.name, templates.c.acts).where(
                    templates.c.id == identifier, templates.c.practitioner_id == self.practitioner_id
                )
            )
        ).one_or_none()
        return None if row is None else {"id": row.id, "name": row.name, "acts": row.acts}

    async def add_template(self, name: str, acts: list[dict[str, Any]]) -> str:
        identifier = str(uuid.uuid4())
        await self.session.execute(
            insert(templates).values(
                id=identifier,
                practitioner_id=self.practitioner_id,
                name=name,
                acts=acts,
                created_at=datetime.now(UTC),
            )
        )
        return identifier

    async def delete_template(self, identifier: str) -> bool:
        result = await self.session.execute(
            delete(templates).where(
                templates.c.id == identifier, templates.c.practitioner_id == self.practitioner_id
            )
        )
        return bool(result.rowcount)
