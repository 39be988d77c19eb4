"""The notifications service's tables: one notice per key, whatever the redeliveries."""

from sqlalchemy import Column, Integer, MetaData, String, Table, Text

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
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
)
