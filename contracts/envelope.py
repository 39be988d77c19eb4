"""The one envelope around every event (CloudEvents 1.0 attributes plus correlation and causation ids)."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


def new_event_id() -> uuid.UUID:
    """A UUID version 7 (RFC 9562): the Unix time in milliseconds, then 74 random bits. The ids of the
    events published here grow with time, so that each consumer's inbox (keyed by event id) and the
    outbox's index take them near the end of their B-trees instead of at a random page: fewer pages
    read and rewritten a commit. A consumer accepts any UUID (practice software may send version 4)."""
    random = int.from_bytes(os.urandom(10), "big")  # 80 bits: 12 then 62 of them are used
    milliseconds = time.time_ns() // 1_000_000
    value = milliseconds << 80 | 0x7 << 76 | (random >> 68) << 64 | 0b10 << 62 | (random & ((1 << 62) - 1))
    return uuid.UUID(int=value)


class Payload(BaseModel):
    """Base of every typed event payload. A released version only ever gains optional fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str]
    schema_version: ClassVar[int]
    topic: ClassVar[str]


class Envelope(BaseModel):
    """What travels on Kafka: attributes a consumer routes and deduplicates on, and the payload."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    specversion: str = "1.0"
    id: uuid.UUID = Field(default_factory=new_event_id)
    type: str = Field(min_length=1, max_length=100)
    source: str = Field(min_length=1, max_length=200)
    time: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    subject: str = Field(min_length=1, max_length=200)
    schema_version: int = Field(ge=1)
    datacontenttype: str = "application/json"
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    data: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        payload: Payload,
        *,
        source: str,
        subject: str,
        cause: Envelope | None = None,
        correlation_id: uuid.UUID | None = None,
    ) -> Envelope:
        """Wrap a payload; a caused event inherits its cause's correlation id."""
        event_id = new_event_id()
        if cause is not None:
            correlation_id = cause.correlation_id
        return cls(
            id=event_id,
            type=payload.event_type,
            source=source,
            subject=subject,
            schema_version=payload.schema_version,
            correlation_id=correlation_id or event_id,
            causation_id=cause.id if cause else None,
            data=payload.model_dump(mode="json", exclude_none=True),
        )
