from __future__ import annotations

import time
import uuid

from contracts.claims import ClaimCancelledV1
from contracts.envelope import Envelope, new_event_id


def test_a_caused_event_keeps_the_correlation_and_names_its_cause() -> None:
    first = Envelope.wrap(
        ClaimCancelledV1(
            reference="FSE-20261123-ABCDEFGHJK", practitioner_id="p", cancelled_at="2026-11-23T10:00:00Z"
        ),
        source="services/claims",
        subject="FSE-20261123-ABCDEFGHJK",
    )
    second = Envelope.wrap(
        ClaimCancelledV1(
            reference="FSE-20261123-ABCDEFGHJK", practitioner_id="p", cancelled_at="2026-11-23T10:00:00Z"
        ),
        source="services/notifications",
        subject="FSE-20261123-ABCDEFGHJK",
        cause=first,
    )
    assert first.correlation_id == first.id
    assert second.correlation_id == first.id
    assert second.causation_id == first.id
    assert second.id != first.id
    assert second.id.version == 7  # time-ordered: a new inbox row lands at the end of its index
    assert second.time.tzinfo is not None
    assert Envelope.model_validate_json(second.model_dump_json()) == second


def test_event_ids_are_uuid7_and_grow_with_time() -> None:
    before = time.time_ns() // 1_000_000
    ids = [new_event_id() for _ in range(2000)]
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == len(ids)
    assert {(i.version, i.variant) for i in ids} == {(7, uuid.RFC_4122)}
    assert all(before <= i.int >> 80 <= after for i in ids)  # the Unix time in ms, first
    later, deadline = new_event_id(), time.monotonic() + 5
    while later.int >> 80 <= after and time.monotonic() < deadline:  # until the next millisecond
        later = new_event_id()
    assert later.int >> 80 > after
    # Later sorts after, as a UUID and as the text a database stores (SQLite keeps the hex digits).
    assert all(i < later and i.hex < later.hex and str(i) < str(later) for i in ids)
    wrapped = Envelope.wrap(
        ClaimCancelledV1(
            reference="FSE-20261123-ABCDEFGHJK", practitioner_id="p", cancelled_at="2026-11-23T10:00:00Z"
        ),
        source="services/claims",
        subject="FSE-20261123-ABCDEFGHJK",
    )
    assert wrapped.id.version == 7


def test_any_uuid_is_accepted_as_an_event_id() -> None:
    """Practice software that sends ClaimSubmitted may number its events with version 4."""
    envelope = Envelope(
        id=uuid.uuid4(),
        type="T",
        source="s",
        subject="x",
        schema_version=1,
        correlation_id=uuid.uuid4(),
        data={},
    )
    assert Envelope.model_validate_json(envelope.model_dump_json()).id.version == 4
