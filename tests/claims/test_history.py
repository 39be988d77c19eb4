"""The 12-month history: filters, one claim's detail, the CSV for Excel, and the retention job."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import select

from contracts.common import ClaimContent
from contracts.forms import SickLeaveFormV1
from runtime.security import Actor, Role
from runtime.service import build_app
from services.claims.adapters.forms import OLDEST_FORMS, add_form, forms_of, purge_forms_before
from services.claims.adapters.history import OLDEST_EXPIRED, changes_of, page_of_history, purge_claims_before
from services.claims.adapters.orm import forms, payments
from services.claims.adapters.payments import OLDEST_PAYMENTS, payments_of, purge_payments_before
from services.claims.adapters.repository import ClaimRepository
from services.claims.adapters.signing import receipt_signer
from services.claims.bootstrap import definition
from services.claims.domain.history import HistoryFilter, months_before, retention_cutoff
from services.claims.domain.model import Status
from services.claims.service_layer.intake import receive_claim
from services.claims.service_layer.retention import purge_expired
from services.claims.settings import Settings
from tests.claims.conftest import Claims, claim_body
from tests.claims.test_forms import sick_leave
from tests.claims.test_payments import deliver, payment
from tests.helpers import eventually, sqlite_plan, sqlite_plan_as_sent, statements_sent

DOCTOR = Actor("prt-h", Role.PRACTITIONER, "prt-h", "sid", 0)


async def received_on(claims: Claims, now: datetime, **extra: object) -> str:
    content = ClaimContent.model_validate(claim_body(now.date(), **extra))
    async with claims.runtime.uow() as unit:
        signed = await receive_claim(unit, DOCTOR, content, now, receipt_signer(claims.runtime))
    return signed.receipt.reference


def acts(*codes: str) -> list[dict[str, str]]:
    today = date.today().isoformat()
    return [{"nomenclature": "NGAP", "code": c, "coefficient": "1.5", "date_of_care": today} for c in codes]


async def test_filters_by_patient_fund_status_act_and_dates(claims: Claims) -> None:
    now = datetime.now(UTC)
    mine = await received_on(claims, now, matricule="100001", acts=acts("G"))
    other_patient = await received_on(claims, now, matricule="100002", acts=acts("C", "G"))
    camti = await received_on(claims, now, fund="CAMTI", matricule="100001", acts=acts("V"))
    headers = claims.headers("prt-h")

    async def references(**params: str) -> set[str]:
        response = await claims.client.get("/claims", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return {row["reference"] for row in response.json()}

    assert await references() == {mine, other_patient, camti}
    assert await references(fund="CCSS", matricule="100001") == {mine}
    assert await references(fund="CCSS") == {mine, other_patient}
    assert await references(act="G") == {mine, other_patient}
    assert await references(status="received") == {mine, other_patient, camti}
    assert await references(status="accepted") == set()
    tomorrow = (now + timedelta(days=2)).date().isoformat()
    assert await references(**{"from": tomorrow}) == set()
    assert (await claims.client.get("/claims", headers=claims.headers("prt-other"))).json() == []
    refused = await claims.client.get("/claims", params={"status": "lost"}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "query.status"


async def test_pages_follow_each_other_newest_first_with_and_without_the_act_filter(claims: Claims) -> None:
    now = datetime.now(UTC)
    made = [await received_on(claims, now - timedelta(seconds=n), acts=acts("CG"[n % 2])) for n in range(7)]
    headers = claims.headers("prt-h")

    async def page(**params: str) -> list[str]:
        response = await claims.client.get("/claims", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [row["reference"] for row in response.json()]

    assert [ref for start in (0, 3, 6) for ref in await page(limit="3", offset=str(start))] == made
    assert await page(limit="3", offset="7") == []
    with_g = made[1::2]
    assert await page(act="G", limit="2", offset="1") == with_g[1:3]
    assert await page(act="G", offset="3") == []
    assert await page(act="C", limit="10") == made[0::2]


async def test_the_detail_of_one_reference_holds_its_acts_and_changes(claims: Claims) -> None:
    reference = await received_on(claims, datetime.now(UTC), acts=acts("G", "C"))
    detail = (await claims.client.get(f"/claims/{reference}/detail", headers=claims.headers("prt-h"))).json()

    assert [a["code"] for a in detail["content"]["acts"]] == ["G", "C"]
    assert "code_fse" not in detail["content"]
    assert [c["status"] for c in detail["changes"]] == ["received"]
    missing = await claims.client.get(f"/claims/{reference}/detail", headers=claims.headers("prt-x"))
    assert missing.status_code == 404


async def test_the_csv_opens_in_excel_as_is(claims: Claims) -> None:
    reference = await received_on(claims, datetime.now(UTC), acts=acts("G"))
    async with claims.runtime.uow() as unit:
        repository = ClaimRepository.of(unit)
        claim = await repository.get(reference)
        amounts = {
            "total_fee": Decimal("1234.50"),
            "total_reimbursement": Decimal("24.00"),
            "paid_to_professional": Decimal("0.00"),
            "patient_share": Decimal("6.05"),
        }
        await repository.decide(claim, Status.ACCEPTED, datetime.now(UTC), amounts=amounts)

    response = await claims.client.get("/claims/export.csv", headers=claims.headers("prt-h"))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), dialect="excel", delimiter=";"))
    header, *lines = rows
    assert header[:3] == ["Référence", "Reçue le", "Date des soins"]
    [line] = lines
    record = dict(zip(header, line, strict=True))
    assert record["Référence"] == reference
    assert record["Date des soins"] == date.today().strftime("%d/%m/%Y")
    assert (record["Honoraires"], record["Part patient"]) == ("1234,50", "6,05")
    assert record["Statut"] == "accepted"


async def test_a_large_export_streams_every_row(claims: Claims) -> None:
    now = datetime.now(UTC)
    async with claims.runtime.uow() as unit:
        for _ in range(450):
            content = ClaimContent.model_validate(claim_body(now.date()))
            await receive_claim(unit, DOCTOR, content, now, receipt_signer(claims.runtime))
    async with claims.client.stream("GET", "/claims/export.csv", headers=claims.headers("prt-h")) as response:
        chunks = [chunk async for chunk in response.aiter_bytes()]
    text = b"".join(chunks).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text), delimiter=";"))) == 451


async def test_retention_purges_what_is_older_than_12_months(claims: Claims) -> None:
    received = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    old = await received_on(claims, received)
    kept = await received_on(claims, datetime(2025, 3, 11, 9, 0, tzinfo=UTC))

    assert await purge_expired(claims.runtime.uow, datetime(2026, 3, 10, 12, 0, tzinfo=UTC)) == 0
    assert await purge_expired(claims.runtime.uow, datetime(2026, 3, 11, 12, 0, tzinfo=UTC)) == 1

    async with claims.runtime.sessions() as session:
        repository = ClaimRepository(session)
        assert await repository.get(old) is None
        assert await repository.get(kept) is not None


async def form_sent_on(claims: Claims, at: datetime) -> str:
    reference = f"FRM-{uuid.uuid4().hex[:12]}"
    async with claims.runtime.uow() as unit:
        await add_form(
            unit.session, reference, SickLeaveFormV1.model_validate(sick_leave()), "prt-h", "prt-h", at
        )
    return reference


async def paid_on(claims: Claims, at: datetime) -> str:
    event = payment(f"PAY-{uuid.uuid4().hex[:12]}").model_copy(update={"paid_at": at})
    await deliver(claims, event)
    return event.payment_id


async def forms_and_payments(claims: Claims) -> tuple[set[str], set[str]]:
    async with claims.runtime.sessions() as session:
        sent = set((await session.execute(select(forms.c.reference))).scalars())
        paid = set((await session.execute(select(payments.c.payment_id))).scalars())
    return sent, paid


async def test_forms_and_payments_go_after_12_months_too_oldest_first_a_batch_a_transaction(
    claims: Claims,
) -> None:
    """A form's medical part and a payment's claims are kept no longer than the claims themselves."""
    days = [datetime(2025, 3, day, 9, 0, tzinfo=UTC) for day in (5, 1, 4, 2, 3)]
    sent = {day: await form_sent_on(claims, day) for day in days}
    paid = {day: await paid_on(claims, day) for day in days}
    kept_form = await form_sent_on(claims, datetime(2025, 3, 11, 9, 0, tzinfo=UTC))
    kept_payment = await paid_on(claims, datetime(2025, 3, 11, 9, 0, tzinfo=UTC))
    now = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)

    async with claims.runtime.uow() as unit:
        assert await purge_forms_before(unit.session, retention_cutoff(now), limit=2) == 2
        assert await purge_payments_before(unit.session, retention_cutoff(now), limit=2) == 2
    assert await forms_and_payments(claims) == (
        {sent[d] for d in days if d.day > 2} | {kept_form},
        {paid[d] for d in days if d.day > 2} | {kept_payment},
    )
    assert await purge_expired(claims.runtime.uow, now, batch=2) == 6  # three forms, three payments
    assert await forms_and_payments(claims) == ({kept_form}, {kept_payment})


async def test_retention_purges_a_backlog_oldest_first_a_batch_a_transaction(claims: Claims) -> None:
    days = [datetime(2025, 3, day, 9, 0, tzinfo=UTC) for day in (5, 1, 4, 2, 3)]
    expired = dict(zip(days, [await received_on(claims, day) for day in days], strict=True))
    kept = await received_on(claims, datetime(2025, 3, 11, 9, 0, tzinfo=UTC))
    now = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)

    async with claims.runtime.uow() as unit:
        assert await purge_claims_before(unit.session, retention_cutoff(now), limit=2) == 2
    assert await stored(claims, [*expired.values(), kept]) == {expired[d] for d in days if d.day > 2} | {kept}
    assert await purge_expired(claims.runtime.uow, now, batch=2) == 3  # a transaction of two, one of one
    assert await stored(claims, [*expired.values(), kept]) == {kept}
    async with claims.runtime.sessions() as session:
        assert all([await changes_of(session, reference) == [] for reference in expired.values()])
        assert await changes_of(session, kept)


@pytest.mark.broker
async def test_the_service_purges_what_is_past_retention_as_it_starts(
    claims: Claims, database_url: str, kafka_bootstrap: str
) -> None:
    now = datetime.now(UTC)
    old = await received_on(claims, now - timedelta(days=400))
    kept = await received_on(claims, now - timedelta(days=300))
    await form_sent_on(claims, now - timedelta(days=400))
    await paid_on(claims, now - timedelta(days=400))
    kept_form = await form_sent_on(claims, now - timedelta(days=300))
    kept_payment = await paid_on(claims, now - timedelta(days=300))
    settings = Settings(
        database_url=database_url, data_dir=claims.data_dir, kafka_bootstrap_servers=kafka_bootstrap
    )
    app = build_app(definition(settings))

    async with app.router.lifespan_context(app):
        assert await eventually(lambda: only_kept(claims, [old, kept], {kept}))
        assert await eventually(lambda: only(claims, ({kept_form}, {kept_payment})))


async def only(claims: Claims, kept: tuple[set[str], set[str]]) -> bool:
    return await forms_and_payments(claims) == kept


async def only_kept(claims: Claims, references: list[str], kept: set[str]) -> bool:
    return await stored(claims, references) == kept


async def stored(claims: Claims, references: list[str]) -> set[str]:
    async with claims.runtime.sessions() as session:
        repository = ClaimRepository(session)
        return {reference for reference in references if await repository.get(reference) is not None}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the query plan read is SQLite's
async def test_sqlite_finds_what_to_purge_through_the_time_of_each_row(
    claims: Claims, database_url: str
) -> None:
    values = {"cutoff": "2026-01-01T00:00:00+00:00", "limit": 1000}
    async with claims.runtime.sessions() as session:
        plans = [
            await sqlite_plan(session, oldest, values)
            for oldest in (OLDEST_EXPIRED, OLDEST_FORMS, OLDEST_PAYMENTS)
        ]

    assert plans == [
        ["SEARCH claims USING INDEX ix_claims_received_at (received_at<?)"],
        ["SEARCH forms USING INDEX ix_forms_created_at (created_at<?)"],
        ["SEARCH payments USING INDEX ix_payments_paid_at (paid_at<?)"],
    ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the query plan read is SQLite's
async def test_sqlite_reads_a_page_of_a_practitioners_lists_newest_first_through_an_index(
    claims: Claims, database_url: str
) -> None:
    """A page of the history, of the forms or of the payments reads the practitioner's rows in order
    through an index: never all their rows of the year, read and sorted for each page."""
    since = datetime(2026, 1, 1, tzinfo=UTC)
    async with claims.runtime.sessions() as session:
        with statements_sent() as sent:
            await page_of_history(session, HistoryFilter("prt-1", status="accepted"), since, 50, 0)
            await forms_of(session, "prt-1", None, 50, 0)
            await payments_of(session, "prt-1", 50, 0)
        plans = [await sqlite_plan_as_sent(session, sql, parameters) for sql, parameters in sent]

    assert plans == [
        [
            "SEARCH claims USING INDEX ix_claims_practitioner_received (practitioner_id=? AND received_at>?)",
            "USE TEMP B-TREE FOR RIGHT PART OF ORDER BY",  # the reference, among claims of one instant
        ],
        ["SEARCH forms USING INDEX ix_forms_practitioner_created (practitioner_id=?)"],
        ["SEARCH payments USING INDEX ix_payments_practitioner_paid (practitioner_id=?)"],
    ]


def test_the_cutoff_is_midnight_in_monaco_twelve_months_back() -> None:
    cutoff = retention_cutoff(datetime(2026, 7, 1, 22, 30, tzinfo=UTC))  # already 2 July in Monaco
    assert cutoff == datetime(2025, 7, 1, 22, 0, tzinfo=UTC)
    assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)), st.integers(0, 36))
def test_months_before_goes_back_whole_months(day: date, months: int) -> None:
    earlier = months_before(day, months)
    assert (day.year * 12 + day.month) - (earlier.year * 12 + earlier.month) == months
    assert earlier.day <= day.day


def test_a_retention_of_no_month_is_refused_at_start(tmp_path: Path) -> None:
    """It would delete every claim, form and payment at the next round."""
    Settings(data_dir=tmp_path, retention_months=1)
    with pytest.raises(
        ValidationError, match=r"retention_months\n  Input should be greater than or equal to 1"
    ):
        Settings(data_dir=tmp_path, retention_months=0)
