"""Reads of the beneficiary registry."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
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


def _of_households(*columns: Any) -> Select[Any]:
    """The rows of many households at once, each with its key: those of the `funds` whose matricule is
    among `matricules`, which may be a few more than wanted (a wanted matricule in another wanted fund);
    the reader keeps the wanted ones. Not a list of (fund, matricule) pairs: SQLite reads such a list by
    scanning the whole table (its query plan: SCAN, LIST SUBQUERY), 48 ms for 13 households among
    100,000, where these two lists go through the key's index (0.08 ms)."""
    table = columns[0].table
    return select(*dict.fromkeys((table.c.fund, table.c.matricule, *columns))).where(
        table.c.fund.in_(bindparam("funds", expanding=True)),
        table.c.matricule.in_(bindparam("matricules", expanding=True)),
    )


_HOUSEHOLD = _of_household(*households.c)
_APPROVALS = _of_household(*approvals.c)
_MEMBERS = _of_household(*members.c).order_by(members.c.rank)
_HOUSEHOLDS = _of_households(*households.c)
_RANKS_OF = _of_households(members.c.rank)
_PERIODS_OF = _of_households(periods.c.rank, periods.c.kind, periods.c.start, periods.c.end, periods.c.scope)
_COLOURS_OF = _of_households(card_colours.c.year, card_colours.c.colour)
_APPROVALS_OF = _of_households(*approvals.c)

Key = tuple[str, str]
"""A household: (fund, matricule)."""


class RegistryRepository:
    def __init__(self, session: AsyncConnection) -> None:
        self.session = session

    async def household(self, fund: Fund, matricule: str) -> Household | None:
        return (await self.households([(fund.value, matricule)])).get((fund.value, matricule))

    async def households(self, wanted: Iterable[Key]) -> dict[Key, Household]:
        """The households among `wanted` that exist, in five statements however many are wanted."""
        keys = set(wanted)
        if not keys:
            return {}
        params = {"funds": sorted({f for f, _ in keys}), "matricules": sorted({m for _, m in keys})}
        rows = await self.session.execute(_HOUSEHOLDS, params)
        found = {key: r for r in rows if (key := (r.fund, r.matricule)) in keys}
        if not found:
            return {}
        ranks: dict[Key, list[int]] = defaultdict(list)
        for r in await self.session.execute(_RANKS_OF, params):
            ranks[(r.fund, r.matricule)].append(r.rank)
        spans: dict[tuple[str, str, int, str], list[Period]] = defaultdict(list)
        for p in await self.session.execute(_PERIODS_OF, params):
            spans[(p.fund, p.matricule, p.rank, p.kind)].append(Period(p.start, p.end, p.scope))
        colours: dict[Key, dict[int, CardColour]] = defaultdict(dict)
        for c in await self.session.execute(_COLOURS_OF, params):
            colours[(c.fund, c.matricule)][c.year] = CardColour(c.colour)
        granted: dict[Key, dict[str, Approval]] = defaultdict(dict)
        for a in await self.session.execute(_APPROVALS_OF, params):
            granted[(a.fund, a.matricule)][a.reference] = _approval(a)
        return {
            key: Household(
                code=CodeFse(
                    row.code_fse_digest, row.previous_code_digest, row.previous_code_until, row.code_issued_at
                ),
                colours=colours[key],
                members={
                    rank: Beneficiary(
                        rank, tuple(spans[(*key, rank, "rights")]), tuple(spans[(*key, rank, "etm")])
                    )
                    for rank in ranks[key]
                },
                approvals=granted[key],
            )
            for key, row in found.items()
        }

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
        return [_approval(r) for r in rows]


def _approval(r: Any) -> Approval:
    return Approval(r.reference, r.rank, r.nomenclature, r.act_code, ApprovalStatus(r.status), r.valid_until)
