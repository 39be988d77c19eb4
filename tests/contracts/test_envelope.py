from __future__ import annotations

import uuid

from contracts.claims import ClaimCancelledV1
from contracts.envelope import Envelope


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
    assert isinstance(second.id, uuid.UUID)
    assert second.time.tzinfo is not None
    assert Envelope.model_validate_json(second.model_dump_json()) == second
