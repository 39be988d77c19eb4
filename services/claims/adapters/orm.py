"""The claims service's own tables. The claim's content (patient identifiers and acts) is encrypted."""

from sqlalchemy import Column, Date, MetaData, Numeric, String, Table, UniqueConstraint

from runtime.crypto import EncryptedJSON
from runtime.db import UtcDateTime
from runtime.messaging.tables import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)

claims = Table(
    "claims",
    metadata,
    Column("reference", String(40), primary_key=True),
    Column("practitioner_id", String(64), nullable=False, index=True),
    Column("entered_by", String(64), nullable=False),
    Column("submission_id", String(64), nullable=False),
    Column("fund", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
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
    UniqueConstraint("practitioner_id", "submission_id", name="uq_claims_submission"),
)
