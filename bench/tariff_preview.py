"""Tariff figures (a script, not a test): preview latency p50/p99 through the real app (in-process
HTTP, SQLite, embedded broker) and pricing throughput of the domain function behind both the preview
and the asynchronous step.

    python -m bench.tariff_preview [--requests 2000] [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from contracts.common import ActLine, CardColour, ClaimContent, Fund, Nomenclature, Profession
from runtime import keys
from runtime.broker import ensure_topics
from runtime.keys import ensure_dev_keys
from runtime.security import Actor, Role, issue_token
from runtime.service import build_app
from runtime.tansu import EmbeddedBroker
from services.tariff.adapters.shipped import read_rules, shipped_versions
from services.tariff.bootstrap import definition
from services.tariff.domain.coverage import Coverage
from services.tariff.domain.nomenclature import Catalogue
from services.tariff.domain.pricing import price
from services.tariff.settings import Settings


def sample_claim() -> ClaimContent:
    """A dentist's session: a consultation, two restorations and an X-ray, the fee raised (rose card)."""
    day, ngap, ccam = date(2026, 3, 2), Nomenclature.NGAP, Nomenclature.CCAM
    acts = [
        ActLine(nomenclature=ngap, code="C", coefficient=Decimal(1), date_of_care=day),
        ActLine(nomenclature=ccam, code="HBMD053", date_of_care=day, weighting=Decimal("1.1")),
        ActLine(nomenclature=ccam, code="HBMD038", date_of_care=day),
        ActLine(nomenclature=ccam, code="HBQK389", date_of_care=day),
    ]
    return ClaimContent(
        submission_id="bench-00000001",
        fund=Fund.CCSS,
        matricule="100001",
        code_fse="A1B2C3",
        profession=Profession.CHIRURGIEN_DENTISTE,
        acts=acts,
    )


COVERAGE = Coverage(CardColour.ROSE, etm=False, overrun_allowed=True, hnp_allowed=False)


def throughput(seconds: float) -> None:
    catalogue, rules, claim = Catalogue(shipped_versions()), read_rules(), sample_claim()
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        price(claim, COVERAGE, catalogue, rules)
        count += 1
    elapsed = time.perf_counter() - started
    lines = count * len(claim.acts)
    print(f"pricing throughput: {count / elapsed:,.0f} claims/s ({lines / elapsed:,.0f} lines/s), 1 process")


async def latency(requests: int) -> None:
    broker = EmbeddedBroker().start()
    try:
        with tempfile.TemporaryDirectory(prefix="fse-bench-tariff-") as scratch:
            data_dir = Path(scratch)
            ensure_dev_keys(data_dir)
            await ensure_topics(broker.bootstrap_servers, ["fse.eligibility", "fse.tariff"])
            settings = Settings(data_dir=data_dir, kafka_bootstrap_servers=broker.bootstrap_servers)
            app = build_app(definition(settings))
            actor = Actor("bench", Role.PRACTITIONER, "bench", uuid.uuid4().hex, 0, "chirurgien-dentiste")
            token = issue_token(keys.auth_private_key(None, data_dir), actor, 3600)
            body: dict[str, Any] = {
                "claim": sample_claim().model_dump(mode="json"),
                "card_colour": "rose",
                "overrun_allowed": True,
            }
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport,
                    base_url="http://tariff",
                    headers={"Authorization": f"Bearer {token}"},
                ) as client:
                    timings = []
                    for _ in range(requests):
                        started = time.perf_counter()
                        response = await client.post("/tariff/preview", json=body)
                        timings.append(time.perf_counter() - started)
                        response.raise_for_status()
    finally:
        broker.stop()
    cuts = statistics.quantiles(timings, n=100)
    print(
        f"preview latency over {requests} requests (in-process HTTP, 4 lines): "
        f"p50 {cuts[49] * 1000:.2f} ms, p99 {cuts[98] * 1000:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=3.0)
    arguments = parser.parse_args()
    throughput(arguments.seconds)
    asyncio.run(latency(arguments.requests))


if __name__ == "__main__":
    main()
