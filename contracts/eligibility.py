"""The eligibility stream (topic fse.eligibility): rights of a claim's beneficiary on the date of care."""

from __future__ import annotations

from typing import ClassVar

from contracts import topics
from contracts.common import CardColour, ClaimContent, ClaimReference
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
