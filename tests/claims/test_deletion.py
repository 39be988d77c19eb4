"""Same-day deletion until 22:00 in Monaco, in summer (UTC+2) and in winter (UTC+1) time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from contracts.envelope import Envelope
from contracts.tariff import ClaimPricedV1
from services.claims.domain.deletion import why_not_deletable
from services.claims.domain.model import Status
from services.claims.service_layer.decisions import on_claim_priced
from tests.claims.conftest import Claims, claim_body


@pytest.mark.parametrize(
    ("received", "last_moment"),
    [
        (datetime(2026, 7, 15, 6, 0, tzinfo=UTC), datetime(2026, 7, 15, 19, 59, 59, 999999, tzinfo=UTC)),
        (datetime(2026, 1, 15, 7, 0, tzinfo=UTC), datetime(2026, 1, 15, 20, 59, 59, 999999, tzinfo=UTC)),
    ],
    ids=["summer", "winter"],
)
def test_deletion_closes_at_22_00_in_monaco(received: datetime, last_moment: datetime) -> None:
    assert why_not_deletable(received, Status.RECEIVED, last_moment) is None
    closing = last_moment.replace(microsecond=0).replace(second=0, minute=0, hour=last_moment.hour + 1)
    assert why_not_deletable(received, Status.ACCEPTED, closing) == (
        "DELETION_CLOSED",
        "reference: deletion closes at 22:00 Monaco time",
    )


def test_an_fse_of_another_day_cannot_be_deleted() -> None:
    # Received at 23:30 UTC on the 14th: already the 15th in Monaco, so deletable on the 15th only.
    received = datetime(2026, 7, 14, 23, 30, tzinfo=UTC)
    assert why_not_deletable(received, Status.RECEIVED, datetime(2026, 7, 15, 8, 0, tzinfo=UTC)) is None
    refusal = why_not_deletable(received, Status.RECEIVED, datetime(2026, 7, 16, 8, 0, tzinfo=UTC))
    assert refusal is not None
    assert refusal[0] == "NOT_SAME_DAY"


def test_a_deleted_fse_cannot_be_deleted_again() -> None:
    moment = datetime(2026, 7, 15, 8, 0, tzinfo=UTC)
    refusal = why_not_deletable(moment, Status.CANCELLED, moment)
    assert refusal is not None
    assert refusal[0] == "ALREADY_CANCELLED"


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


@pytest.mark.parametrize(
    ("received", "closing"),
    [
        (datetime(2026, 7, 15, 6, 0, tzinfo=UTC), datetime(2026, 7, 15, 20, 0, tzinfo=UTC)),
        (datetime(2026, 1, 15, 7, 0, tzinfo=UTC), datetime(2026, 1, 15, 21, 0, tzinfo=UTC)),
    ],
    ids=["summer", "winter"],
)
async def test_over_http_deletion_is_refused_from_22_00_in_monaco(
    claims: Claims, received: datetime, closing: datetime
) -> None:
    claims.runtime.extras["clock"] = at(received)
    references = []
    for _ in range(2):
        response = await claims.client.post(
            "/claims", json=claim_body(received.date()), headers=claims.headers()
        )
        references.append(response.json()["reference"])
    late, in_time = references
    claims.runtime.extras["clock"] = at(closing)
    refused = await claims.client.delete(f"/claims/{late}", headers=claims.headers())
    assert refused.status_code == 409
    assert refused.json()["detail"] == {
        "code": "DELETION_CLOSED",
        "errors": [{"field": "reference", "reason": "deletion closes at 22:00 Monaco time"}],
    }
    claims.runtime.extras["clock"] = at(closing - timedelta(microseconds=1))
    assert (await claims.client.delete(f"/claims/{in_time}", headers=claims.headers())).status_code == 204
    claims.runtime.extras["clock"] = at(closing + timedelta(hours=12))
    next_day = await claims.client.delete(f"/claims/{late}", headers=claims.headers())
    assert next_day.json()["detail"]["code"] == "NOT_SAME_DAY"


async def test_deleting_publishes_claim_cancelled_and_later_verdicts_are_ignored(claims: Claims) -> None:
    claims.runtime.extras["clock"] = at(datetime(2026, 7, 15, 9, 0, tzinfo=UTC))
    body = claim_body(date(2026, 7, 15))
    reference = (await claims.client.post("/claims", json=body, headers=claims.headers())).json()["reference"]

    deleted = await claims.client.delete(f"/claims/{reference}", headers=claims.headers())

    assert deleted.status_code == 204
    [cancelled] = await claims.outbox("ClaimCancelled")
    assert cancelled["data"]["reference"] == reference
    priced = ClaimPricedV1(
        reference=reference,
        practitioner_id="prt-1",
        tariff_version="test",
        lines=[],
        total_base=0,
        total_fee=0,
        total_reimbursement=0,
        patient_share=0,
        paid_to_professional=0,
    )
    async with claims.runtime.uow() as unit:
        await on_claim_priced(unit, Envelope.wrap(priced, source="test", subject=reference), priced)
    claim = (await claims.client.get(f"/claims/{reference}", headers=claims.headers())).json()
    assert claim["status"] == "cancelled"
    assert await claims.outbox("ClaimAccepted") == []
    again = await claims.client.delete(f"/claims/{reference}", headers=claims.headers())
    assert again.status_code == 409
    assert again.json()["detail"]["code"] == "ALREADY_CANCELLED"


async def test_another_practitioner_cannot_delete(claims: Claims) -> None:
    receipt = (await claims.client.post("/claims", json=claim_body(), headers=claims.headers())).json()
    response = await claims.client.delete(f"/claims/{receipt['reference']}", headers=claims.headers("prt-2"))
    assert response.status_code == 404
