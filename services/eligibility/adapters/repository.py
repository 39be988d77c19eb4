"""Reads of the beneficiary registry."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.common import CardColour, Fund
from runtime.crypto import fingerprint
from services.eligibility.adapters.orm import approvals, card_colours, households, members, periods
from services.eligibility.domain.approvals import Approval, ApprovalStatus
from services.eligibility.domain.codes import CodeFse
from services.eligibility.domain.records import MemberDetails
from services.eligibility.domain.rights import Beneficiary, Household, Period


def code_fse_digest(fund: Fund | str, matricule: str, code_fse: str) -> bytes:
    return fingerprint(f"code-fse:{fund}:{matricule}:{code_fse}")


class RegistryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def household(self, fund: Fund, matricule: str) -> Household | None:
        where = (households.c.fund == fund.value, households.c.matricule == matricule)
        row = (await self.session.execute(select(households).where(*where))).one_or_none()
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
            spans[(p.rank, p.kind)].append(Period(p.start, p.end, p.scope))
        colours = await self.session.execute(
            select(card_colours.c.year, card_colours.c.colour).where(
                card_colours.c.fund == fund.value, card_colours.c.matricule == matricule
            )
        )
        return Household(
            code=CodeFse(
                row.code_fse_digest, row.previous_code_digest, row.previous_code_until, row.code_issued_at
            ),
            colours={year: CardColour(colour) for year, colour in colours},
            members={
                rank: Beneficiary(rank, tuple(spans[(rank, "rights")]), tuple(spans[(rank, "etm")]))
                for rank in ranks
            },
            approvals={a.reference: a for a in await self.approvals(fund, matricule)},
        )

    async def code(self, fund: Fund, matricule: str) -> CodeFse:
        """The household's codes FSE; none for an unknown household (checked the same way)."""
        where = (households.c.fund == fund.value, households.c.matricule == matricule)
        row = (await self.session.execute(select(households).where(*where))).one_or_none()
        if row is None:
            return CodeFse()
        return CodeFse(
            row.code_fse_digest, row.previous_code_digest, row.previous_code_until, row.code_issued_at
        )

    async def member_details(self, fund: Fund, matricule: str) -> list[MemberDetails]:
        rows = await self.session.execute(
            select(members)
            .where(members.c.fund == fund.value, members.c.matricule == matricule)
            .order_by(members.c.rank)
        )
        return [MemberDetails(r.rank, r.last_name, r.first_name, r.birth_date, r.relationship) for r in rows]

    async def approvals(self, fund: Fund, matricule: str) -> list[Approval]:
        rows = await self.session.execute(
            select(approvals).where(approvals.c.fund == fund.value, approvals.c.matricule == matricule)
        )
        return [
            Approval(r.reference, r.rank, r.nomenclature, r.act_code, ApprovalStatus(r.status), r.valid_until)
            for r in rows
        ]
