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
    #: Ed25519 signature of the receipt (see services/claims/domain/receipts.py), base64url.
    signature: str | None = None


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


class ClaimSubmissionRefusedV1(Payload):
    """A transmission over Kafka that was refused (bad token, deadline, act in the future, reused
    submission id), for the practice software to read back by its submission id. The message itself
    also goes to the dead-letter topic with the same field and reason."""

    event_type: ClassVar[str] = "ClaimSubmissionRefused"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.CLAIMS

    submission_id: str
    practitioner_id: str | None = None
    refused_at: AwareDatetime
    reason_code: str
    field: str
    reason: str
