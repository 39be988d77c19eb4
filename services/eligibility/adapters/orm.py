"""The registry's tables. Names, e-mails and audited matricules are identifying data: encrypted at rest;
the code FSE is kept only as a keyed digest (runtime.crypto.fingerprint)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from runtime.crypto import EncryptedText
from runtime.db import UtcDateTime
from runtime.messaging.closed import closed_subjects_table
from runtime.messaging.tables import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)

households = Table(
    "households",
    metadata,
    Column("fund", String(8), primary_key=True),
    Column("matricule", String(12), primary_key=True),
    Column("code_fse_digest", LargeBinary(32)),
    Column("code_issued_at", UtcDateTime),
    Column("previous_code_digest", LargeBinary(32)),
    Column("previous_code_until", UtcDateTime),
    Column("complementary_insurer_email", EncryptedText),
    Column("forward_statements", Boolean, nullable=False, default=False),
    Column("contact_changed_at", UtcDateTime),
)

members = Table(
    "members",
    metadata,
    Column("fund", String(8), primary_key=True),
    Column("matricule", String(12), primary_key=True),
    Column("rank", Integer, primary_key=True),
    Column("last_name", EncryptedText, nullable=False),
    Column("first_name", EncryptedText, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("relationship", String(16), nullable=False),
    ForeignKeyConstraint(["fund", "matricule"], ["households.fund", "households.matricule"]),
)

# Rights and ETM periods per member. No foreign key to members: a period may arrive before the member.
periods = Table(
    "periods",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fund", String(8), nullable=False),
    Column("matricule", String(12), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("scope", String(40), nullable=False, default=""),
    Column("start", Date, nullable=False),
    Column("end", Date),
    UniqueConstraint("fund", "matricule", "rank", "kind", "scope", "start", name="uq_periods_fact"),
)

card_colours = Table(
    "card_colours",
    metadata,
    Column("fund", String(8), primary_key=True),
    Column("matricule", String(12), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("colour", String(8), nullable=False),
)

# The newest back-office revision applied per insured and fact (see contracts.rights).
feed_versions = Table(
    "feed_versions",
    metadata,
    Column("fund", String(8), primary_key=True),
    Column("matricule", String(12), primary_key=True),
    Column("aspect", String(80), primary_key=True),
    Column("sequence", BigInteger, nullable=False),
)

approvals = Table(
    "approvals",
    metadata,
    Column("reference", String(40), primary_key=True),
    Column("fund", String(8), nullable=False),
    Column("matricule", String(12), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("nomenclature", String(4), nullable=False),
    Column("act_code", String(10), nullable=False),
    Column("practitioner_id", String(64)),
    Column("status", String(10), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime),
    Column("valid_until", Date),
    Index("ix_approvals_insured", "fund", "matricule"),
)

lookup_audit = Table(
    "lookup_audit",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False, index=True),  # the retention's oldest first
    Column("user_id", String(64), nullable=False),
    Column("role", String(20), nullable=False),
    Column("practitioner_id", String(64)),
    Column("fund", String(8), nullable=False),
    Column("matricule", EncryptedText, nullable=False),
    Column("matricule_digest", LargeBinary(32), nullable=False, index=True),
    Column("outcome", String(16), nullable=False),
)

throttles = Table(
    "throttles",
    metadata,
    Column("key", LargeBinary(32), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_start", UtcDateTime, nullable=False, index=True),  # spent counters, oldest first
    Column("blocked_until", UtcDateTime),
)

# References of cancelled claims (ClaimCancelled): a ClaimReceived not yet checked is skipped.
cancelled_claims = closed_subjects_table(metadata, "cancelled_claims")
