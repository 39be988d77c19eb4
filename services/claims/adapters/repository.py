"""Reads and writes of claims within a unit of work; every status change is also recorded in order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.common import ClaimContent
from runtime.crypto import fingerprint
from runtime.messaging.uow import Unit
from services.claims.adapters.orm import claims, status_changes
from services.claims.domain.model import Status, patient_key
from services.claims.domain.receipts import Receipt

AMOUNTS = ("total_fee", "total_reimbursement", "paid_to_professional", "patient_share")


# Built once: a statement built per call costs about as much again as running it.
_BY_REFERENCE = select(claims).where(claims.c.reference == bindparam("ref"))
_STATE = select(claims.c.reference, claims.c.practitioner_id, claims.c.status).where(
    claims.c.reference == bindparam("ref")
)
_BY_REFERENCES = select(claims).where(claims.c.reference.in_(bindparam("refs", expanding=True)))
_STATES = select(claims.c.reference, claims.c.practitioner_id, claims.c.status).where(
    claims.c.reference.in_(bindparam("refs", expanding=True))
)
_BY_SUBMISSION = select(claims).where(
    claims.c.practitioner_id == bindparam("practitioner"), claims.c.submission_id == bindparam("submission")
)
_BY_SUBMISSIONS = select(claims).where(  # each pair wanted, and any other pair of those values: filtered
    claims.c.practitioner_id.in_(bindparam("practitioners", expanding=True)),
    claims.c.submission_id.in_(bindparam("submissions", expanding=True)),
)
_SET_STATUS = (
    update(claims)
    .where(claims.c.reference == bindparam("ref"))
    .values(status=bindparam("new_status"), decided_at=bindparam("at"), cancelled_by=bindparam("by"))
)
_DECIDE = (
    update(claims)
    .where(claims.c.reference == bindparam("ref"))
    .values(
        status=bindparam("new_status"),
        decided_at=bindparam("at"),
        reason_code=bindparam("code"),
        reason=bindparam("why"),
        **{name: bindparam(f"amount_{name}") for name in AMOUNTS},
    )
)
_INSERT_CLAIM = claims.insert()


class ClaimRepository:
    """Reads on any session; writes within a unit of work (`of`). The writes of a run of events go
    to the database together (`Unit.defer`): each claim added or changed, before this repository's next
    read from the database (so that the unit reads what it wrote) or at commit; the status history of
    all the unit's claims in one statement at commit."""

    def __init__(self, session: AsyncConnection, unit: Unit | None = None) -> None:
        self.session = session
        self._unit = unit

    @classmethod
    def of(cls, unit: Unit) -> ClaimRepository:
        return cls(unit.session, unit)

    async def add(self, receipt: Receipt, content: ClaimContent, document: dict[str, Any]) -> None:
        """`document` is `content` as JSON (`model_dump(mode="json")`), made once for its digest too."""
        self._writing().defer(
            _INSERT_CLAIM,
            {
                "reference": receipt.reference,
                "practitioner_id": receipt.practitioner_id,
                "entered_by": receipt.entered_by,
                "submission_id": receipt.submission_id,
                "fund": content.fund.value,
                "status": Status.RECEIVED.value,
                "received_at": receipt.received_at,
                "first_date_of_care": min(a.date_of_care for a in content.acts),
                "digest": receipt.digest,
                "content": document,
                "patient_fingerprint": fingerprint(patient_key(content.fund.value, content.matricule)),
            },
        )
        self._forget(_BY_SUBMISSIONS, (receipt.practitioner_id, receipt.submission_id))  # it exists now
        await self._changed(receipt.reference, receipt.practitioner_id, Status.RECEIVED, receipt.received_at)

    async def by_submission(self, practitioner_id: str, submission_id: str) -> Any:
        """The claim received for this submission, if any: what a receipt is made of (its status may
        predate a change this unit has deferred). Only a deferred insert of this very submission could
        change the answer, so the claims this unit deferred before it (a group of receipts) stay
        deferred, to be written in one statement."""
        key = (practitioner_id, submission_id)
        params = {"practitioner": practitioner_id, "submission": submission_id}

        def unwritten(unit: Unit) -> bool:
            return any(
                (run["practitioner_id"], run["submission_id"]) == key for run in unit.deferred(_INSERT_CLAIM)
            )

        return await self._read(_BY_SUBMISSIONS, _BY_SUBMISSION, key, params, unwritten=unwritten)

    async def prefetch_submissions(self, wanted: Sequence[tuple[str, str]]) -> None:
        """Read the claims of a run of (practitioner, submission id) pairs in one statement, for
        `by_submission` within this unit to answer from until a claim of one of them is added."""
        if self._unit is None or not wanted:
            return
        params = {
            "practitioners": list(dict.fromkeys(p for p, _ in wanted)),
            "submissions": list(dict.fromkeys(s for _, s in wanted)),
        }
        await self._unit.write_deferred()
        rows = await self.session.execute(_BY_SUBMISSIONS, params)
        found = {(row.practitioner_id, row.submission_id): row for row in rows}
        self._unit.prefetched.setdefault(_BY_SUBMISSIONS, {}).update({key: found.get(key) for key in wanted})

    async def get(self, reference: str) -> Any:
        return await self._read(_BY_REFERENCES, _BY_REFERENCE, reference, {"ref": reference})

    async def state(self, reference: str) -> Any:
        """Reference, practitioner and status only: what deciding whether to go on needs (the content
        is encrypted, so reading it costs a decryption)."""
        return await self._read(_STATES, _STATE, reference, {"ref": reference})

    async def prefetch(self, references: Sequence[str], *, content: bool) -> None:
        """Read the claims of a run of events in one statement (`get` with `content`, else `state`),
        for the reads of this unit to answer from until the claim is written."""
        if self._unit is None or not references:
            return
        many = _BY_REFERENCES if content else _STATES
        await self._unit.write_deferred()
        found = {row.reference: row for row in await self.session.execute(many, {"refs": list(references)})}
        self._unit.prefetched.setdefault(many, {}).update({ref: found.get(ref) for ref in references})

    async def _read(
        self,
        many: Any,
        one: Any,
        key: Any,
        params: dict[str, Any],
        *,
        unwritten: Callable[[Unit], bool] = lambda _unit: True,
    ) -> Any:
        """What `many` prefetched for `key` in this unit, else `one` run with `params`, after the unit's
        deferred writes if `unwritten` says one of them may change the answer."""
        prefetched = self._unit.prefetched.get(many, {}) if self._unit is not None else {}
        if key in prefetched:
            return prefetched[key]
        if self._unit is not None and unwritten(self._unit):
            await self._unit.write_deferred()  # what this unit wrote is read as written
        return (await self.session.execute(one, params)).one_or_none()

    def _forget(self, many: Any, key: Any) -> None:
        """Read `key` from the database again if asked again in this unit: it has been written."""
        if self._unit is not None:
            self._unit.prefetched.get(many, {}).pop(key, None)

    async def set_status(
        self,
        claim: Any,
        status: Status,
        *,
        decided_at: datetime | None = None,
        cancelled_by: str | None = None,
    ) -> None:
        """Move a claim that has no final state yet to `status` (its decision time and canceller are
        set with it: both are empty until then)."""
        params = {"ref": claim.reference, "new_status": status.value, "at": decided_at, "by": cancelled_by}
        self._writing().defer(_SET_STATUS, params)
        await self._changed(claim.reference, claim.practitioner_id, status, decided_at or datetime.now(UTC))

    async def decide(
        self,
        claim: Any,
        status: Status,
        decided_at: datetime,
        *,
        reason_code: str | None = None,
        reason: str | None = None,
        amounts: dict[str, Decimal] | None = None,
    ) -> None:
        params: dict[str, Any] = {
            "ref": claim.reference,
            "new_status": status.value,
            "at": decided_at,
            "code": reason_code,
            "why": reason,
        }
        params.update({f"amount_{name}": (amounts or {}).get(name) for name in AMOUNTS})
        self._writing().defer(_DECIDE, params)
        await self._changed(claim.reference, claim.practitioner_id, status, decided_at, reason_code)

    def _writing(self) -> Unit:
        if self._unit is None:
            raise RuntimeError("a claim changes only within a unit of work: ClaimRepository.of(unit)")
        return self._unit

    async def _changed(
        self, reference: str, practitioner_id: str, status: Status, at: datetime, code: str | None = None
    ) -> None:
        for many in (_BY_REFERENCES, _STATES):
            self._forget(many, reference)
        self._writing().append(
            status_changes,
            {
                "reference": reference,
                "practitioner_id": practitioner_id,
                "status": status.value,
                "reason_code": code,
                "at": at,
            },
        )
