"""The claims service's own tables. Patient identifiers, acts, payments' claims and the forms' content
are encrypted; the patient is found by a keyed fingerprint of fund and matricule."""

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    UniqueConstraint,
)

from runtime.crypto import EncryptedJSON
from runtime.db import UtcDateTime
from runtime.messaging.tables import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)

claims = Table(
    "claims",
    metadata,
    Column("reference", String(40), primary_key=True),
    Column("practitioner_id", String(64), nullable=False),
    Column("entered_by", String(64), nullable=False),
    Column("submission_id", String(64), nullable=False),
    Column("fund", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("received_at", UtcDateTime, nullable=False, index=True),  # retention: oldest first
    Column("first_date_of_care", Date, nullable=False),
    Column("digest", String(80), nullable=False),
    Column("content", EncryptedJSON, nullable=False),
    Column("reason_code", String(64)),
    Column("reason", String(300)),
    Column("decided_at", UtcDateTime),
    Column("total_fee", Numeric(12, 2)),
    Column("total_reimbursement", Numeric(12, 2)),
    Column("paid_to_professional", Numeric(12, 2)),
    Column("patient_share", Numeric(12, 2)),
    Column("patient_fingerprint", LargeBinary(32), index=True),
    Column("cancelled_by", String(64)),
    UniqueConstraint("practitioner_id", "submission_id", name="uq_claims_submission"),
    # The history, newest first: a page reads its rows in order, not every claim of the twelve months.
    Index("ix_claims_practitioner_received", "practitioner_id", "received_at"),
)

# Every change of a claim's status, in order: what the server-sent event streams replay and follow.
status_changes = Table(
    "status_changes",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("reference", String(40), nullable=False, index=True),
    Column("practitioner_id", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("reason_code", String(64)),
    Column("at", UtcDateTime, nullable=False),
)

# Payments of the funds to professionals under HNP (tiers payant).
payments = Table(
    "payments",
    metadata,
    Column("payment_id", String(64), primary_key=True),
    Column("practitioner_id", String(64), nullable=False),
    Column("fund", String(8), nullable=False),
    Column("paid_at", UtcDateTime, nullable=False, index=True),  # the retention's oldest first
    Column("total", Numeric(12, 2), nullable=False),
    Column("claims", EncryptedJSON, nullable=False),
    Index("ix_payments_practitioner_paid", "practitioner_id", "paid_at"),  # newest first
)

# The three forms: sick-leave prescription (IT), ETM request, invalidity admission.
forms = Table(
    "forms",
    metadata,
    Column("reference", String(40), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("practitioner_id", String(64), nullable=False),
    Column("entered_by", String(64), nullable=False),
    Column("submission_id", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),  # the retention's oldest first
    Column("patient", EncryptedJSON, nullable=False),
    Column("administrative", EncryptedJSON, nullable=False),
    Column("medical", EncryptedJSON, nullable=False),
    Column("digest", String(80), nullable=False),
    UniqueConstraint("practitioner_id", "submission_id", name="uq_forms_submission"),
    Index("ix_forms_practitioner_created", "practitioner_id", "created_at"),  # a page, newest first
)
