"""The eligibility stream (topic fse.eligibility): rights of a claim's beneficiary on the date of care."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import AwareDatetime, Field, StringConstraints

from contracts import topics
from contracts.common import CardColour, ClaimContent, ClaimReference, Fund, Matricule, Nomenclature
from contracts.envelope import Payload


class EligibilityCheckedV1(Payload):
    """The verdict on a received claim, carrying forward what pricing needs (the claim and the card)."""

    event_type: ClassVar[str] = "EligibilityChecked"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.ELIGIBILITY

    reference: ClaimReference
    practitioner_id: str
    eligible: bool
    reason_code: str | None = None
    reason: str | None = None
    card_colour: CardColour | None = None
    etm: bool = False
    hnp_allowed: bool = False
    overrun_allowed: bool = False
    claim: ClaimContent


class PriorApprovalRequestedV1(Payload):
    """A practitioner asked the fund for a prior approval (entente préalable); the back office decides and
    answers on the rights feed (PriorApprovalDecided). Keyed by the approval reference."""

    event_type: ClassVar[str] = "PriorApprovalRequested"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.ELIGIBILITY

    reference: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{4,40}$")]
    fund: Fund
    matricule: Matricule
    beneficiary_rank: Annotated[int, Field(ge=0, le=20)]
    nomenclature: Nomenclature
    act_code: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,9}$")]
    practitioner_id: str
    entered_by: str
    requested_at: AwareDatetime
    note: Annotated[str, StringConstraints(max_length=500)] | None = None
