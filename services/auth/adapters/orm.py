"""The auth service's tables. TOTP secrets, names and contacts are encrypted; session handles, refresh
tokens and reset codes are stored as keyed digests only."""

from sqlalchemy import Boolean, Column, Date, Index, Integer, LargeBinary, MetaData, String, Table

from runtime.crypto import EncryptedJSON, EncryptedText
from runtime.db import UtcDateTime
from runtime.messaging.tables import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)

users = Table(
    "users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("login", String(120), nullable=False, unique=True),
    Column("password_hash", String(200)),
    Column("role", String(24), nullable=False),
    Column("profession", String(40)),
    Column("practitioner_id", String(64), index=True),
    Column("status", String(16), nullable=False),
    Column("totp_secret", EncryptedText),
    Column("totp_active", Boolean, nullable=False, default=False),
    Column("totp_last_step", Integer),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_name", EncryptedText),
    Column("first_name", EncryptedText),
    Column("email", EncryptedText),
    Column("phones", EncryptedJSON),
    Column("rpps", String(11)),
    Column("adeli", String(9)),
    Column("failed_attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("next_attempt_at", UtcDateTime),
    Column("valid_from", Date),
    Column("valid_until", Date),
    Column("revoked_at", UtcDateTime),
    Column("reset_digest", LargeBinary(32)),
    Column("reset_expires_at", UtcDateTime),
)
# The operators' list of applications (pending practitioners, oldest first, a page at a time) reads
# this index in its order: the id settles ties, so that pages neither repeat nor skip an account.
Index("ix_users_status_role_created_at", users.c.status, users.c.role, users.c.created_at, users.c.id)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("handle_digest", LargeBinary(32), nullable=False, unique=True),
    Column("user_id", String(64), nullable=False, index=True),
    Column("stage", String(16), nullable=False),
    # The retention reads the oldest sessions through it (services.auth.service_layer.retention).
    Column("created_at", UtcDateTime, nullable=False, index=True),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
)

# An assistant's authenticator secret shown on the practitioner's screen, until the assistant's first
# code confirms it and the assistant's account is created.
enrolments = Table(
    "enrolments",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner_id", String(64), nullable=False, index=True),
    Column("totp_secret", EncryptedText, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
