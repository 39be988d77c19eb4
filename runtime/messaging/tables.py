"""The outbox and inbox tables, added to each service's own metadata (and so to its migrations)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import ReturningInsert

from runtime.crypto import EncryptedBytes
from runtime.db import UtcDateTime


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table

    @functools.cache  # noqa: B019 - two dialects at most, for tables that live as long as the process
    def record_processed(self, dialect: str) -> ReturningInsert[Any]:
        """Insert inbox rows, skipping those already there, returning the event ids inserted."""
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        return insert(self.inbox).on_conflict_do_nothing().returning(self.inbox.c.event_id)


def messaging_tables(metadata: MetaData) -> MessagingTables:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("body", EncryptedBytes, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", Uuid, primary_key=True),
        Column("consumer", String(100), primary_key=True),
        Column("processed_at", UtcDateTime, nullable=False, index=True),  # retention: runtime.messaging.inbox
    )
    return MessagingTables(outbox=outbox, inbox=inbox)
