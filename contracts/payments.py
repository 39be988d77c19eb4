"""The payments stream (topic fse.payments): what the funds paid, per claim. Under HNP the professional
is paid; otherwise the insured is reimbursed."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AwareDatetime, Field

from contracts import topics
from contracts.common import ClaimReference, Frozen, Fund, Matricule, Money
from contracts.envelope import Payload


class Payee(StrEnum):
    PROFESSIONAL = "professional"
    INSURED = "insured"


class PaidClaim(Frozen):
    reference: ClaimReference
    matricule: Matricule
    beneficiary_rank: int = 0
    amount: Money


class PaymentIssuedV1(Payload):
    event_type: ClassVar[str] = "PaymentIssued"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.PAYMENTS

    payment_id: Annotated[str, Field(min_length=1, max_length=64)]
    fund: Fund
    payee: Payee
    practitioner_id: str | None = None
    paid_at: AwareDatetime
    claims: Annotated[list[PaidClaim], Field(min_length=1)]
    total: Money
