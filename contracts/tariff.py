"""The tariff stream (topic fse.tariff): a claim priced line by line, or refused by pricing; a new
version of a nomenclature table published."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from contracts import topics
from contracts.common import ClaimReference, Frozen, Money, Nomenclature
from contracts.envelope import Payload

TableVersionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._+-]{3,60}$")]


class PricedLine(Frozen):
    nomenclature: Nomenclature
    code: str
    base: Money
    fee: Money
    rate: Decimal
    reimbursement: Money
    tariff_version: str | None = None
    association_rate: Decimal | None = None
    overrun: Money | None = None
    confidence: str | None = None


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
    total_overrun: Money | None = None
    paid_to_insured: Money | None = None
    patient_pays_professional: Money | None = None


class ClaimPricingRejectedV1(Payload):
    event_type: ClassVar[str] = "ClaimPricingRejected"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.TARIFF

    reference: ClaimReference
    practitioner_id: str
    reason_code: str
    reason: str
    line: int | None = None


class NgapKeyValue(Frozen):
    key: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,9}$")]
    label: Annotated[str, StringConstraints(max_length=300)]
    value: Money | None
    professions: list[str]
    confidence: str
    source: Annotated[str, StringConstraints(max_length=1000)]


class CcamActValue(Frozen):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{4}[0-9]{3}$")]
    activity: Annotated[int, Field(ge=1, le=5)]
    phase: Annotated[int, Field(ge=0, le=9)]
    label: Annotated[str, StringConstraints(max_length=1000)]
    tariff: Money | None
    tariff_non_optam: Money | None = None
    prior_approval: bool = False
    modifiers: list[str] = Field(default_factory=list)
    exo_tm: str = ""
    regroupement: str = ""
    confidence: str = "SOLID"


class NomenclatureVersionPublishedV1(Payload):
    """A new version of one table, in force from `effective_from`: the rows of `based_on` with these
    rows added or replaced and `withdrawn` keys or codes removed. Claims dated before keep their prices."""

    event_type: ClassVar[str] = "NomenclatureVersionPublished"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.TARIFF

    version: TableVersionId
    nomenclature: Nomenclature
    effective_from: date
    source: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    based_on: TableVersionId | None = None
    ngap_keys: list[NgapKeyValue] = Field(default_factory=list)
    ccam_acts: list[CcamActValue] = Field(default_factory=list)
    withdrawn: list[str] = Field(default_factory=list)
