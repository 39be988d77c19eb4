"""Reads of the beneficiary registry."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.common import CardColour, Fund
from runtime.crypto import fingerprint
from services.eligibility.adapters.orm import approvals, card_colours, households, members, periods
from services.eligibility.domain.approvals import Approval, ApprovalStatus
from services.eligibility.domain.codes import CodeFse
from services.eligibility.domain.records import MemberDetails
from services.eligibility.domain.rights import Beneficiary, Household, Period


def code_fse_digest(fund: Fund | str, matricule: str, code_fse: str) -> bytes:
    return fingerprint(f"code-fse:{fund}:{matricule}:{code_fse}")


# Built once: a statement built per call costs about as much again as running it.
def _of_household(*columns: Any) -> Select[Any]:
    table = columns[0].table
    return select(*columns).where(
        table.c.fund == bindparam("fund"), table.c.matricule == bindparam("matricule")
    )


_HOUSEHOLD = _of_household(*households.c)
_RANKS = _of_household(members.c.rank)
_PERIODS = _of_household(*periods.c)
_COLOURS = _of_household(card_colours.c.year, card_colours.c.colour)
_APPROVALS = _of_household(*approvals.c)
_MEMBERS = _of_household(*members.c).order_by(members.c.rank)


class RegistryRepository:
    def __init__(self, session: AsyncConnection) -> None:
        self.session = session

    async def household(self, fund: Fund, matricule: str) -> Household | None:
        key = {"fund": fund.value, "matricule": matricule}
        row = (await self.session.execute(_HOUSEHOLD, key)).one_or_none()
        if row is None:
            return None
        ranks = (await self.session.execute(_RANKS, key)).scalars()
        spans: dict[tuple[int, str], list[Period]] = defaultdict(list)
        for p in await self.session.execute(_PERIODS, key):
            spans[(p.rank, p.kind)].append(Period(p.start, p.end, p.scope))
        colours = await self.session.execute(_COLOURS, key)
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
        key = {"fund": fund.value, "matricule": matricule}
        row = (await self.session.execute(_HOUSEHOLD, key)).one_or_none()
        if row is None:
            return CodeFse()
        return CodeFse(
            row.code_fse_digest, row.previous_code_digest, row.previous_code_until, row.code_issued_at
        )

    async def member_details(self, fund: Fund, matricule: str) -> list[MemberDetails]:
        rows = await self.session.execute(_MEMBERS, {"fund": fund.value, "matricule": matricule})
        return [MemberDetails(r.rank, r.last_name, r.first_name, r.birth_date, r.relationship) for r in rows]

    async def approvals(self, fund: Fund, matricule: str) -> list[Approval]:
        rows = await self.session.execute(_APPROVALS, {"fund": fund.value, "matricule": matricule})
        return [
            Approval(r.reference, r.rank, r.nomenclature, r.act_code, ApprovalStatus(r.status), r.valid_until)
            for r in rows
        ]
