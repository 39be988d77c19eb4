"""The claim stream (topic fse.claims and fse.claims.submitted): intake, receipt, decision."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import AwareDatetime

from contracts import topics
from contracts.common import ClaimContent, ClaimReference, Fund, Matricule, Money
from contracts.envelope import Payload


class Notify(StrEnum):
    """Who must be told of a rejection: the insured when the patient paid, the professional under HNP."""

    INSURED = "insured"
    PROFESSIONAL = "professional"


class ClaimSubmittedV1(Payload):
    """A practice software's transmission of an FSE over Kafka; carries its session token."""

    event_type: ClassVar[str] = "ClaimSubmitted"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.CLAIM_SUBMISSIONS

    access_token: str
    claim: ClaimContent


class ClaimReceivedV1(Payload):
    event_type: ClassVar[str] = "ClaimReceived"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.CLAIMS

    reference: ClaimReference
    received_at: AwareDatetime
    practitioner_id: str
    entered_by: str
    digest: str
    claim: ClaimContent


class ClaimAcceptedV1(Payload):
    event_type: ClassVar[str] = "ClaimAccepted"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.CLAIMS

    reference: ClaimReference
    practitioner_id: str
    fund: Fund
    matricule: Matricule
    beneficiary_rank: int
    decided_at: AwareDatetime
    total_fee: Money
    total_reimbursement: Money
    paid_to_professional: Money
    patient_share: Money


class ClaimRejectedV1(Payload):
    event_type: ClassVar[str] = "ClaimRejected"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.CLAIMS

    reference: ClaimReference
    practitioner_id: str
    fund: Fund
    matricule: Matricule
    beneficiary_rank: int
    decided_at: AwareDatetime
    reason_code: str
    reason: str
    notify: Notify
    stage: Literal["eligibility", "tariff", "intake"]


class ClaimCancelledV1(Payload):
    event_type: ClassVar[str] = "ClaimCancelled"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.CLAIMS

    reference: ClaimReference
    practitioner_id: str
    cancelled_at: AwareDatetime
