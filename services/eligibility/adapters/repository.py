"""Reads and writes of the beneficiary registry."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.common import CardColour, Fund
from runtime.crypto import fingerprint
from services.eligibility.adapters.orm import households, members, periods
from services.eligibility.domain.rights import Beneficiary, Household, Period


def code_fse_digest(fund: Fund | str, matricule: str, code_fse: str) -> bytes:
    return fingerprint(f"code-fse:{fund}:{matricule}:{code_fse}")


class RegistryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def household(self, fund: Fund, matricule: str) -> Household | None:
        row = (
            await self.session.execute(
                select(households).where(households.c.fund == fund.value, households.c.matricule == matricule)
            )
        ).one_or_none()
        if row is None:
            return None
        ranks = (
            await self.session.execute(
                select(members.c.rank).where(members.c.fund == fund.value, members.c.matricule == matricule)
            )
        ).scalars()
        spans: dict[tuple[int, str], list[Period]] = defaultdict(list)
        for p in await self.session.execute(
            select(periods).where(periods.c.fund == fund.value, periods.c.matricule == matricule)
        ):
            spans[(p.rank, p.kind)].append(Period(p.start, p.end))
        return Household(
            code_fse_digest=row.code_fse_digest,
            card_colour=CardColour(row.card_colour),
            members={
                rank: Beneficiary(rank, tuple(spans[(rank, "rights")]), tuple(spans[(rank, "etm")]))
                for rank in ranks
            },
        )

    async def add_household(self, fund: Fund, matricule: str, code_fse: str, colour: CardColour) -> None:
        await self.session.execute(
            households.insert().values(
                fund=fund.value,
                matricule=matricule,
                code_fse_digest=code_fse_digest(fund, matricule, code_fse),
                card_colour=colour.value,
            )
        )

    async def add_member(
        self,
        fund: Fund,
        matricule: str,
        rank: int,
        names: tuple[str, str],
        birth_date: date,
        relationship: str,
    ) -> None:
        await self.session.execute(
            members.insert().values(
                fund=fund.value,
                matricule=matricule,
                rank=rank,
                last_name=names[0],
                first_name=names[1],
                birth_date=birth_date,
                relationship=relationship,
            )
        )

    async def add_period(
        self, fund: Fund, matricule: str, rank: int, kind: str, start: date, end: date | None
    ) -> None:
        await self.session.execute(
            periods.insert().values(
                fund=fund.value, matricule=matricule, rank=rank, kind=kind, start=start, end=end
            )
        )
