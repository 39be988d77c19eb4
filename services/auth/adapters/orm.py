"""The auth service's tables. TOTP secrets are encrypted; session handles are stored as digests."""

from sqlalchemy import Boolean, Column, Integer, LargeBinary, MetaData, String, Table

from runtime.crypto import EncryptedText
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
    Column("practitioner_id", String(64)),
    Column("status", String(16), nullable=False),
    Column("totp_secret", EncryptedText),
    Column("totp_active", Boolean, nullable=False, default=False),
    Column("totp_last_step", Integer),
    Column("created_at", UtcDateTime, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("handle_digest", LargeBinary(32), nullable=False, unique=True),
    Column("user_id", String(64), nullable=False, index=True),
    Column("stage", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
)
