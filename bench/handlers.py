"""CPU that a claim's events cost the claims service's consumer, in-process (a script, not a test):
the consumer as the service builds it (`build_app`) over real SQLite in a temporary directory, fed the
records a claim brings (ClaimSubmitted, EligibilityChecked, ClaimPriced) in batches, with no broker;
then as many claims transmitted over HTTP (POST /claims), handed to the application a batch of
concurrent requests at once, as uvicorn hands them over (no server, no socket: uvicorn's own part is
measured by `python -m bench`).

    python -m bench.handlers [--claims 2000] [--batch 25] [--repeat 5]

It prints the process's CPU time per event for each step, and the same for reading the same records
with no logic (envelope and payload parsed, nothing else): the floor of any consumer. CPU time, not
elapsed time, and the best of `--repeat` fresh databases: a change to a handler shows within a few per
cent on a busy shared machine, where the whole pipeline's figures move by a fifth from run to run.
Beside it, the bytes the process wrote per event (Linux's /proc/self/io: SQLite's WAL frames, a page
of 4 KiB for every page a commit changed), which do not depend on the machine's load at all. What
the consumer's process does beyond its handlers (fetching, the outbox relay's sends and deletes, the
offsets) is measured by `python -m bench`, not here. A batch of 25 is what a consumer takes at 300
claims/s offered; 400 what it takes from a backlog (`python -m bench`, "events a batch")."""

from __future__ import annotations

import argparse
import json
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.harness import claim, submission
from bench.inprocess import Cost, Meter, Record, event, feed, feed_requests, record, report
from contracts import topics
from contracts.common import CardColour, ClaimContent, Nomenclature
from contracts.eligibility import EligibilityCheckedV1
from contracts.envelope import Envelope
from contracts.registry import model_for, parse
from contracts.tariff import ClaimPricedV1, PricedLine
from runtime import db, heap, loop
from runtime.keys import auth_private_key, ensure_dev_keys
from runtime.security import Actor, Role, issue_token
from runtime.service import Runtime, build_app
from services.claims.adapters.orm import claims as claims_table
from services.claims.adapters.orm import messaging
from services.claims.bootstrap import definition
from services.claims.settings import Settings


def token(data_dir: Path) -> str:
    actor = Actor(
        user_id="prt-bench",
        role=Role.PRACTITIONER,
        practitioner_id="prt-bench",
        session_id=uuid.uuid4().hex,
        expires_at=0,
    )
    return issue_token(auth_private_key(None, data_dir), actor, 900)


def verdict(received: dict[str, Any], offset: int) -> Record:
    """Eligible, but for the insured whose rights are closed (every fifth claim, bench.harness)."""
    data = received["data"]
    content = ClaimContent.model_validate(data["claim"])
    closed = content.matricule == "100003"
    payload = EligibilityCheckedV1(
        reference=data["reference"],
        practitioner_id=data["practitioner_id"],
        eligible=not closed,
        reason_code="RIGHTS_CLOSED" if closed else None,
        card_colour=None if closed else CardColour.VERTE,
        claim=content,
    )
    return event(payload, data["reference"], offset)


def priced(received: dict[str, Any], offset: int) -> Record:
    data = received["data"]
    fee, paid = Decimal("30.00"), Decimal("24.00")
    line = PricedLine(
        nomenclature=Nomenclature.NGAP, code="G", base=fee, fee=fee, rate=Decimal("0.80"), reimbursement=paid
    )
    payload = ClaimPricedV1(
        reference=data["reference"],
        practitioner_id=data["practitioner_id"],
        tariff_version="bench",
        lines=[line],
        total_base=fee,
        total_fee=fee,
        total_reimbursement=paid,
        patient_share=fee - paid,
        paid_to_professional=paid,
    )
    return event(payload, data["reference"], offset)


def read_only(records: list[Record]) -> Cost:
    meter = Meter()
    for item in records:
        assert item.value is not None
        envelope = Envelope.model_validate_json(item.value)
        parse(envelope, model_for(envelope.type, envelope.schema_version))
    return meter.cost(len(records))


async def received_events(runtime: Runtime) -> list[dict[str, Any]]:
    outbox = messaging.outbox
    async with runtime.sessions() as session:
        query = select(outbox.c.body).where(outbox.c.event_type == "ClaimReceived").order_by(outbox.c.id)
        rows = (await session.execute(query)).scalars().all()
    return [Envelope.model_validate_json(body).model_dump(mode="json") for body in rows]


async def statuses(runtime: Runtime) -> dict[str, int]:
    query = select(claims_table.c.status, func.count()).group_by(claims_table.c.status)
    async with runtime.sessions() as session:
        return {status: count for status, count in await session.execute(query)}


async def one_run(claims: int, batch: int, keys: Path | None = None) -> dict[str, Cost]:
    """One fresh database; the keys of the data directory `keys` (default: new ones beside it)."""
    with tempfile.TemporaryDirectory(prefix="fse-handlers-") as tmp:
        data_dir = keys or Path(tmp)
        ensure_dev_keys(data_dir)
        database = f"sqlite+aiosqlite:///{Path(tmp) / 'claims.db'}"
        settings = Settings(data_dir=data_dir, database_url=database, kafka_bootstrap_servers="127.0.0.1:9")
        service = definition(settings)
        app = build_app(service)
        runtime: Runtime = app.state.runtime
        await db.migrate(runtime.engine, service.migrations, service.metadata)
        try:
            (consumer,) = runtime.consumers
            bearer, tag = token(data_dir), uuid.uuid4().hex[:8]
            submitted = [
                record(topics.CLAIM_SUBMISSIONS, i, *submission(bearer, claim(i, tag))) for i in range(claims)
            ]
            figures = {"read only": read_only(submitted)}
            figures["ClaimSubmitted"] = await feed(consumer, submitted, batch)
            received = await received_events(runtime)
            if len(received) != claims:
                raise RuntimeError(f"{len(received)} claims received of {claims}")
            checks = [verdict(r, i) for i, r in enumerate(received)]
            figures["EligibilityChecked"] = await feed(consumer, checks, batch)
            eligible = [r for r in received if r["data"]["claim"]["matricule"] != "100003"]
            figures["ClaimPriced"] = await feed(
                consumer, [priced(r, i) for i, r in enumerate(eligible)], batch
            )
            if consumer.dead_lettered:
                raise RuntimeError(f"{consumer.dead_lettered} events dead-lettered")
            decided = await statuses(runtime)
            if decided != {"accepted": len(eligible), "rejected": claims - len(eligible)}:
                raise RuntimeError(f"claims ended {decided}, not all decided as sent")
            over_http = [json.dumps(claim(i, f"{tag}-http")).encode() for i in range(claims)]
            headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
            figures["POST /claims"] = await feed_requests(app, "/claims", over_http, headers, batch, 202)
            if len(await received_events(runtime)) != 2 * claims:
                raise RuntimeError("not every claim transmitted over HTTP was received")
            return figures
        finally:
            await runtime.sessions.close()


async def main(claims: int, batch: int, repeat: int) -> None:
    print(f"claims consumer, in-process, SQLite: {claims} claims, batches of {batch}, best of {repeat}")
    heap.freeze()  # the collector as in a started service (runtime.heap)
    runs = [await one_run(claims, batch) for _ in range(repeat)]
    report(runs, "an event")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()
    loop.run(main(arguments.claims, arguments.batch, arguments.repeat))
