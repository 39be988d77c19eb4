"""The notifications service's tables: one notice per key whatever the redeliveries, the e-mails still
to send (worked by the delivery task, so that nothing is lost across a restart), the contact projections
and the maintenance windows. Addresses and names are identifying data: encrypted at rest."""

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, String, Table, Text

from runtime.crypto import EncryptedText
from runtime.db import UtcDateTime
from runtime.messaging.tables import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)

notices = Table(
    "notices",
    metadata,
    Column("key", String(120), primary_key=True),
    Column("audience", String(16), nullable=False),
    Column("recipient", String(200), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", UtcDateTime, nullable=False, index=True),  # the operators' list, newest first
    Column("sent_at", UtcDateTime),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("key", String(160), primary_key=True),
    Column("notice_key", String(120), nullable=False),
    Column("message_id", String(100), nullable=False, unique=True),
    Column("address", EncryptedText, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", String(200)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Index("ix_deliveries_due", "status", "next_attempt_at", "key"),  # in the order they are sent
    # A notice's e-mails still pending (whether it is sent): through its own e-mails, never the due index,
    # which SQLite otherwise picks for the status and walks every pending e-mail with.
    Index("ix_deliveries_notice_status", "notice_key", "status"),
    # The operators' lists, newest first, of one status or of all: the page's rows alone, never every
    # e-mail ever sent read and sorted (on the loop's thread).
    Index("ix_deliveries_status_created", "status", "created_at"),
    Index("ix_deliveries_created", "created_at"),
)

insured_contacts = Table(
    "insured_contacts",
    metadata,
    Column("fund", String(8), primary_key=True),
    Column("matricule", String(12), primary_key=True),
    Column("email", EncryptedText),
    Column("notify_by_email", Boolean, nullable=False),
    Column("insurer_email", EncryptedText),
    Column("forward_statements_to_insurer", Boolean, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)

practitioners = Table(
    "practitioners",
    metadata,
    Column("practitioner_id", String(64), primary_key=True),
    Column("email", EncryptedText),
    Column("active", Boolean, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)

maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("window_id", String(40), primary_key=True),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("reason", String(300), nullable=False),
    Column("cancelled", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
