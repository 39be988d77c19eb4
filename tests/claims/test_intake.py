"""Intake over HTTP and Kafka through one code path: who acts, a signed receipt, one claim per
submission id, refusals naming the field and the reason."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts import topics
from contracts.claims import ClaimSubmittedV1
from contracts.common import ClaimContent
from contracts.envelope import Envelope
from runtime.messaging.consumer import MessageRejectedError
from runtime.security import Actor, Role
from services.claims.adapters.signing import receipt_signer
from services.claims.entrypoints.stream import subscriptions
from services.claims.service_layer.intake import (
    IntakeRefusedError,
    read_ahead,
    receive_claim,
    receive_transmission,
)
from tests.claims.conftest import Claims, claim_body
from tests.helpers import Counting, statements_sent


async def test_an_assistant_transmits_for_the_practitioner_and_is_recorded(claims: Claims) -> None:
    headers = claims.headers("prt-1", user_id="asst-7", role=Role.ASSISTANT)
    response = await claims.client.post("/claims", json=claim_body(), headers=headers)

    assert response.status_code == 202, response.text
    receipt = response.json()
    assert (receipt["practitioner_id"], receipt["entered_by"]) == ("prt-1", "asst-7")
    read = await claims.client.get(f"/claims/{receipt['reference']}", headers=claims.headers("prt-1"))
    assert read.json()["entered_by"] == "asst-7"
    [received] = await claims.outbox("ClaimReceived")
    assert received["data"]["entered_by"] == "asst-7"
    assert received["data"]["signature"] == receipt["signature"]


async def test_the_receipt_is_signed_and_verifiable(claims: Claims) -> None:
    receipt = (await claims.client.post("/claims", json=claim_body(), headers=claims.headers())).json()

    assert (await claims.client.post("/claims/receipts/verify", json=receipt)).json() == {"valid": True}
    forged = {**receipt, "digest": "sha256:" + "0" * 64}
    assert (await claims.client.post("/claims/receipts/verify", json=forged)).json() == {"valid": False}
    pem = (await claims.client.get("/claims/receipts/public-key")).text
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")


async def test_the_same_submission_gives_the_same_receipt_and_one_claim(claims: Claims) -> None:
    body = claim_body()
    first = await claims.client.post("/claims", json=body, headers=claims.headers())
    second = await claims.client.post("/claims", json=body, headers=claims.headers())

    assert first.json() == second.json()
    assert len(await claims.outbox("ClaimReceived")) == 1
    body["acts"][0]["coefficient"] = "2"
    reused = await claims.client.post("/claims", json=body, headers=claims.headers())
    assert reused.status_code == 409
    assert reused.json()["detail"]["errors"] == [
        {"field": "submission_id", "reason": "already used for a different FSE"}
    ]


async def test_over_http_earlier_receipts_are_read_for_each_transaction_at_once(claims: Claims) -> None:
    """The endpoint tells the group commit what the intake will read: each transaction reads its
    parts' earlier receipts in one statement, no request a statement of its own."""
    headers = claims.headers()
    before = claims.runtime.grouped.transactions
    with statements_sent() as sent:
        responses = await asyncio.gather(
            *(claims.client.post("/claims", json=claim_body(), headers=headers) for _ in range(6))
        )
    assert [r.status_code for r in responses] == [202] * 6
    reads = [s for s, _ in sent if "FROM claims" in s and "submission_id" in s]
    transactions = claims.runtime.grouped.transactions - before
    assert transactions < 6  # grouped: some requests shared a transaction
    assert len(reads) == transactions
    assert all("IN (" in read for read in reads)


@pytest.mark.parametrize(
    ("day", "code", "field"),
    [
        (date.today() + timedelta(days=2), "ACT_IN_FUTURE", "acts.0.date_of_care"),
        (date.today() - timedelta(days=30), "DEADLINE_EXCEEDED", "acts.date_of_care"),
    ],
)
async def test_dates_out_of_bounds_are_refused_naming_the_field(
    claims: Claims, day: date, code: str, field: str
) -> None:
    response = await claims.client.post("/claims", json=claim_body(day), headers=claims.headers())
    assert response.status_code == 422
    assert response.json()["detail"]["code"] == code
    assert response.json()["detail"]["errors"][0]["field"] == field


async def test_an_operator_cannot_transmit(claims: Claims) -> None:
    headers = claims.headers("ops-1", role=Role.OPERATOR)
    response = await claims.client.post("/claims", json=claim_body(), headers=headers)
    assert response.status_code == 403
    assert response.json()["detail"]["errors"][0]["field"] == "role"


async def test_a_refused_kafka_transmission_is_dead_lettered_with_a_notice(claims: Claims) -> None:
    content = ClaimContent.model_validate(claim_body(date.today() - timedelta(days=30)))
    event = ClaimSubmittedV1(access_token=claims.token("prt-1"), claim=content)

    with pytest.raises(MessageRejectedError) as refused:
        async with claims.runtime.uow() as unit:
            await receive_transmission(
                unit, event, datetime.now(UTC), claims.runtime.verifier, receipt_signer(claims.runtime)
            )

    assert str(refused.value).startswith("acts.date_of_care: DEADLINE_EXCEEDED")
    notice = refused.value.notice
    assert notice is not None
    assert notice.model_dump(include={"submission_id", "practitioner_id", "reason_code", "field"}) == {
        "submission_id": content.submission_id,
        "practitioner_id": "prt-1",
        "reason_code": "DEADLINE_EXCEEDED",
        "field": "acts.date_of_care",
    }


async def test_a_kafka_transmission_with_a_bad_token_is_refused(claims: Claims) -> None:
    event = ClaimSubmittedV1(access_token="not.a.token", claim=ClaimContent.model_validate(claim_body()))
    with pytest.raises(MessageRejectedError, match=r"^access_token: INVALID_TOKEN"):
        async with claims.runtime.uow() as unit:
            await receive_transmission(
                unit, event, datetime.now(UTC), claims.runtime.verifier, receipt_signer(claims.runtime)
            )


@pytest.mark.parametrize(
    ("act", "last_moment"),
    [
        # Summer time ends on 2026-10-25: the last day, the 28th, ends at 23:00 UTC.
        (date(2026, 10, 23), datetime(2026, 10, 28, 22, 59, 59, tzinfo=UTC)),
        # Summer time starts on 2026-03-29: the last day, the 30th, ends at 22:00 UTC.
        (date(2026, 3, 25), datetime(2026, 3, 30, 21, 59, 59, tzinfo=UTC)),
    ],
    ids=["autumn", "spring"],
)
async def test_over_http_the_deadline_is_midnight_in_monaco_across_a_time_change(
    claims: Claims, act: date, last_moment: datetime
) -> None:
    claims.runtime.extras["clock"] = lambda: last_moment
    assert (
        await claims.client.post("/claims", json=claim_body(act), headers=claims.headers())
    ).status_code == 202
    claims.runtime.extras["clock"] = lambda: last_moment + timedelta(seconds=1)
    late = await claims.client.post("/claims", json=claim_body(act), headers=claims.headers())
    assert late.status_code == 422
    assert late.json()["detail"]["code"] == "DEADLINE_EXCEEDED"


async def test_a_run_of_kafka_transmissions_reads_earlier_receipts_at_once(claims: Claims) -> None:
    """As the consumer calls them: the subscription's prefetch for the run, then each event. A
    transmission sent again, earlier or within the same run, gets its first receipt back; only the one
    whose first copy was stored within the run reads again."""
    [subscription] = [s for s in subscriptions(claims.runtime) if s.topic == topics.CLAIM_SUBMISSIONS]
    prefetch, handle = subscription.prefetch[ClaimSubmittedV1], subscription.handlers[ClaimSubmittedV1]
    token = claims.token("prt-1")
    first, second, third = (ClaimContent.model_validate(claim_body()) for _ in range(3))
    stored = ClaimSubmittedV1(access_token=token, claim=first)
    async with claims.runtime.uow() as unit:
        await handle(unit, Envelope.wrap(stored, source="test", subject="s"), stored)
    run = [ClaimSubmittedV1(access_token=token, claim=c) for c in (first, second, second, third)]

    async with claims.runtime.uow() as unit:
        counting = Counting(unit.session)
        unit.session = cast(AsyncConnection, counting)
        await prefetch(unit, run)
        for event in run:
            await handle(unit, Envelope.wrap(event, source="test", subject="s"), event)

    statements = [str(statement) for statement, _parameters in counting.executed]
    reads = [s for s in statements if "FROM claims" in s and "submission_id" in s]
    assert len(reads) == 2  # the run's, then the second copy of `second` after its first was stored
    assert "IN (" in reads[0]
    received = await claims.outbox("ClaimReceived")
    assert [r["data"]["claim"]["submission_id"] for r in received] == [
        first.submission_id,
        second.submission_id,
        third.submission_id,
    ]


async def test_receipts_asked_at_once_store_their_claims_in_one_statement(claims: Claims) -> None:
    """As concurrent requests reach the group commit (as the HTTP endpoint asks it): their earlier
    receipts are read in one statement and the new claims go to the database together at commit; a
    submission sent again within the group reads its first copy back (written for it first); a reused
    submission id is refused alone."""
    actor = Actor("prt-1", Role.PRACTITIONER, "prt-1", "session", 0)
    now, signer = datetime.now(UTC), receipt_signer(claims.runtime)
    contents = [ClaimContent.model_validate(claim_body()) for _ in range(4)]
    reused = contents[3].model_copy(update={"code_fse": "Z9Y8X7"})

    def receive(content: ClaimContent) -> Any:
        return claims.runtime.grouped.run(
            lambda unit: receive_claim(unit, actor, content, now, signer), read_ahead(actor, content)
        )

    def receipts_read(sent: list[tuple[str, Any]]) -> list[str]:
        return [
            statement for statement, _ in sent if "FROM claims" in statement and "submission_id" in statement
        ]

    with statements_sent() as sent:
        first = await asyncio.gather(*(receive(c) for c in contents[:3]))
    inserts = [rows for statement, rows in sent if statement.startswith("INSERT INTO claims ")]
    assert [len(rows) if isinstance(rows, list) else 1 for rows in inserts] == [3]  # rows in one statement
    assert claims.runtime.grouped.transactions == 1
    reads = receipts_read(sent)
    assert len(reads) == 1  # the three earlier receipts looked for at once
    assert "IN (" in reads[0]

    with statements_sent() as sent:
        second = await asyncio.gather(
            *(receive(c) for c in (contents[3], contents[0], contents[3], reused)), return_exceptions=True
        )
    assert second[1] == first[0]  # sent earlier: its receipt again
    assert second[2] == second[0]  # sent again within the group: the receipt of its first copy
    assert isinstance(second[3], IntakeRefusedError)
    assert second[3].status == 409
    # The group's, then the second copy's and the reused id's after the first copy was stored; twice,
    # as the refusal rolls the group back and it is written again (runtime.messaging.grouped).
    assert len(receipts_read(sent)) == 2 * 3
    received = await claims.outbox("ClaimReceived")
    assert sorted(r["data"]["claim"]["submission_id"] for r in received) == sorted(
        c.submission_id for c in contents
    )
