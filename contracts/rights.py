"""The rights feed (topic fse.rights.feed, key = "FUND:matricule"): facts the funds' back office sends
about the insured. Eligibility owns the registry built from it; notifications keeps only contact
preferences.

Every registry event carries `sequence`, the back office's revision number for this insured (strictly
increasing, gaps allowed): a fact older than the one already applied for the same subject is ignored, so
duplicates and out-of-order redelivery cannot roll the registry back."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar, Self

from pydantic import AwareDatetime, EmailStr, Field, StringConstraints, model_validator

from contracts import topics
from contracts.common import CardColour, CodeFse, Frozen, Fund, Matricule, Nomenclature
from contracts.envelope import Payload

Sequence = Annotated[int, Field(ge=1, le=2**62)]
Rank = Annotated[int, Field(ge=0, le=20)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
EtmScope = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_]{1,40}$")]
ApprovalReference = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{4,40}$")]


def subject(fund: Fund | str, matricule: str) -> str:
    """The feed's partition key: all facts about one insured stay ordered on one partition."""
    return f"{fund}:{matricule}"


class Relationship(StrEnum):
    INSURED = "insured"
    SPOUSE = "spouse"
    CHILD = "child"
    OTHER = "other"


class Decision(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"


class InsuredFact(Payload):
    """What every registry event names: the insured and the back office's revision number."""

    topic: ClassVar[str] = topics.RIGHTS_FEED

    fund: Fund
    matricule: Matricule
    sequence: Sequence


class Span(InsuredFact):
    start: date
    end: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end is not None and self.end < self.start:
            raise ValueError("end: before start")
        return self


class MemberFacts(Frozen):
    rank: Rank
    last_name: Name
    first_name: Name
    birth_date: date
    relationship: Relationship


class HouseholdChangedV1(InsuredFact):
    """The household as it now is: every member (rank 0 is the insured). Replaces the previous list."""

    event_type: ClassVar[str] = "HouseholdChanged"
    schema_version: ClassVar[int] = 1

    members: Annotated[list[MemberFacts], Field(min_length=1, max_length=21)]

    @model_validator(mode="after")
    def _distinct_ranks(self) -> Self:
        ranks = [m.rank for m in self.members]
        if len(set(ranks)) != len(ranks):
            raise ValueError("members: ranks must be distinct")
        return self


class RightsOpenedV1(Span):
    """A member's rights are open from `start` (until `end` when known)."""

    event_type: ClassVar[str] = "RightsOpened"
    schema_version: ClassVar[int] = 1

    rank: Rank = 0


class RightsClosedV1(Span):
    """The rights period of a member that began on `start` ends on `end` (inclusive)."""

    event_type: ClassVar[str] = "RightsClosed"
    schema_version: ClassVar[int] = 1

    rank: Rank = 0
    end: date


class CardColourSetV1(InsuredFact):
    """The household's card category for a calendar year (set yearly from the family quotient)."""

    event_type: ClassVar[str] = "CardColourSet"
    schema_version: ClassVar[int] = 1

    year: Annotated[int, Field(ge=2000, le=2100)]
    colour: CardColour


class EtmGrantedV1(Span):
    """Exemption from the patient's share (ticket modérateur) for a member, for a scope (e.g. ALD)."""

    event_type: ClassVar[str] = "EtmGranted"
    schema_version: ClassVar[int] = 1

    rank: Rank = 0
    scope: EtmScope = "ALL"


class EtmEndedV1(Span):
    event_type: ClassVar[str] = "EtmEnded"
    schema_version: ClassVar[int] = 1

    rank: Rank = 0
    scope: EtmScope = "ALL"
    end: date


class CodeFseIssuedV1(InsuredFact):
    """A new code FSE (printed on the card, shown in the insured's app). A credential: never logged;
    the registry keeps only its keyed digest. The old code stays valid for the grace period."""

    event_type: ClassVar[str] = "CodeFseIssued"
    schema_version: ClassVar[int] = 1

    code_fse: Annotated[CodeFse, Field(repr=False)]
    issued_at: AwareDatetime


class PriorApprovalDecidedV1(InsuredFact):
    """The fund's decision on a prior approval (entente préalable). The act fields register an approval
    requested outside this service (on paper); they are ignored for one requested here."""

    event_type: ClassVar[str] = "PriorApprovalDecided"
    schema_version: ClassVar[int] = 1

    reference: ApprovalReference
    decision: Decision
    decided_at: AwareDatetime
    valid_until: date | None = None
    rank: Rank | None = None
    nomenclature: Nomenclature | None = None
    act_code: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,9}$")] | None = None


class InsuredContactChangedV1(Payload):
    """How the insured wants to be told (e-mail or not) and whether statements are forwarded to their
    complementary insurer."""

    event_type: ClassVar[str] = "InsuredContactChanged"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.RIGHTS_FEED

    fund: Fund
    matricule: Matricule
    email: EmailStr | None = None
    notify_by_email: bool = False
    complementary_insurer_email: EmailStr | None = None
    forward_statements_to_insurer: bool = False
    changed_at: AwareDatetime
