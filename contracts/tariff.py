"""The tariff stream (topic fse.tariff): a claim priced line by line, or refused by pricing."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from contracts import topics
from contracts.common import ClaimReference, Frozen, Money, Nomenclature
from contracts.envelope import Payload


class PricedLine(Frozen):
    nomenclature: Nomenclature
    code: str
    base: Money
    fee: Money
    rate: Decimal
    reimbursement: Money


class ClaimPricedV1(Payload):
    event_type: ClassVar[str] = "ClaimPriced"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.TARIFF

    reference: ClaimReference
    practitioner_id: str
    tariff_version: str
    lines: list[PricedLine]
    total_base: Money
    total_fee: Money
    total_reimbursement: Money
    patient_share: Money
    paid_to_professional: Money


class ClaimPricingRejectedV1(Payload):
    event_type: ClassVar[str] = "ClaimPricingRejected"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.TARIFF

    reference: ClaimReference
    practitioner_id: str
    reason_code: str
    reason: str
    line: int | None = None
