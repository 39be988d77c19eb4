"""The whole system started for a measurement (as `make run` starts it, demo data on), a logged-in
practitioner, and the claims the measurements send."""

from __future__ import annotations

import argparse
import email
import random
import re
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import ExitStack, closing, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
from psycopg import sql
from sqlalchemy import create_engine, text

from contracts.claims import ClaimSubmittedV1
from contracts.common import ClaimContent
from contracts.envelope import Envelope
from runtime import loop
from runtime.broker import EMBEDDED_PARTITIONS
from runtime.mailsink import kept_messages
from runtime.system import SERVICES, System

T = TypeVar("T")

DEMO_PASSWORD = "demo correct horse battery"  # noqa: S105 - the embedded default's printed demo credential
# Every fifth claim is for an insured whose rights are closed: rejected, so notifications has work too.
ACCEPTED = ("100001", "A1B2C3")
REJECTED = ("100003", "K1L2M3")


def start_system(
    data_dir: Path,
    bootstrap: str | None = None,
    partitions: int = EMBEDDED_PARTITIONS,
    env: Mapping[str, str] | None = None,
) -> System:
    # The longest access token auth issues (15 min): a run that lasts longer must log in again.
    extra = {"FSE_DEMO": "1", "AUTH_TOKEN_LIFETIME_SECONDS": "900", **(env or {})}
    if bootstrap:
        extra["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
    system = System.on_free_ports(data_dir, extra_env=extra, embedded_partitions=partitions)
    try:
        return system.start()
    except BaseException:
        system.stop()  # no orphan processes when a service fails to start
        raise


def on_a_system(
    data_dir: Path | None,
    measure: Callable[[System], Coroutine[Any, Any, T]],
    partitions: int = EMBEDDED_PARTITIONS,
    env: Mapping[str, str] | None = None,
    postgres: str | None = None,
) -> T:
    """`measure` run against the whole system, started in `data_dir` (by default a temporary directory,
    deleted afterwards) with `partitions` a topic on the embedded broker and the settings `env`, each
    service on a fresh database of the PostgreSQL server `postgres` if given (SQLite otherwise), and
    stopped once it is done."""
    with tempfile.TemporaryDirectory(prefix="fse-bench-") as scratch, databases(postgres) as urls:
        system = start_system(data_dir or Path(scratch), partitions=partitions, env={**(env or {}), **urls})
        try:
            return loop.run(measure(system))
        finally:
            system.stop()


@contextmanager
def databases(postgres: str | None) -> Iterator[dict[str, str]]:
    """`<SERVICE>_DATABASE_URL` for every service: a fresh database each on the PostgreSQL server whose
    URL is `postgres` (any database of it, for the administration), dropped afterwards; nothing (each
    service's SQLite file) when None."""
    if postgres is None:
        yield {}
        return
    with ExitStack() as stack:
        yield {
            f"{service.upper()}_DATABASE_URL": stack.enter_context(fresh_database(postgres, f"fse_{service}"))
            for service in SERVICES
        }


@contextmanager
def fresh_database(postgres: str, prefix: str = "fse") -> Iterator[str]:
    """A new, empty database on the PostgreSQL server whose URL is `postgres`, as the services' URL
    (SQLAlchemy with psycopg), dropped afterwards with whatever is still connected to it."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{postgres.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    finally:
        with psycopg.connect(postgres, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def rows(system: System, service: str, statement: str, **params: object) -> list[tuple[Any, ...]]:
    """The rows `statement` (`:name` parameters) reads from `service`'s database, whichever it is: its
    PostgreSQL database when the system gives it one, else its SQLite file, read-only."""
    url = system.environment(service).get(f"{service.upper()}_DATABASE_URL")
    if url is None:
        with read_only(system.data_dir, service) as db:
            return db.execute(statement, params).fetchall()
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(statement), params)]
    finally:
        engine.dispose()


@contextmanager
def read_only(data_dir: Path, service: str) -> Iterator[sqlite3.Connection]:
    """A service's SQLite database (the embedded default) in `data_dir`, read-only, closed afterwards."""
    with closing(sqlite3.connect(f"file:{data_dir / service}.db?mode=ro", uri=True)) as db:
        yield db


def mailbox_ids(directory: Path) -> list[str]:
    """The Message-IDs of the messages a mailbox (runtime.mailsink) kept, one per message, in the order
    received (unfolded: a long one is folded)."""
    return [
        "".join(str(email.message_from_bytes(raw)["Message-ID"]).split()) for raw in kept_messages(directory)
    ]


def proof_options(parser: argparse.ArgumentParser, drain_seconds: float, seeded: bool = True) -> None:
    """The options every proof under faults takes: how long to wait for a drain, its random seed, and
    where to keep the system's data."""
    parser.add_argument(
        "--drain-seconds", type=float, default=drain_seconds, help="give up after this long without progress"
    )
    if seeded:
        parser.add_argument(
            "--seed", type=int, default=None, help="the run's random choices (default: drawn)"
        )
    parser.add_argument("--data-dir", type=Path, help="keep the system's data here (default: a temp dir)")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="each service on a fresh database of this PostgreSQL server, dropped afterwards"
        " (e.g. postgresql://postgres@127.0.0.1:5432/test; default: SQLite files)",
    )


def seed_of(args: argparse.Namespace) -> int:
    return int(args.seed) if args.seed is not None else random.randrange(1_000_000)


def totp(secret: str) -> str:
    oathtool = shutil.which("oathtool")
    if oathtool is None:
        raise RuntimeError("oathtool is required (apt-get install oathtool)")
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return subprocess.run(
        [oathtool, "--totp", "-b", "--now", now, secret], check=True, capture_output=True, text=True
    ).stdout.strip()


def log_in(system: System, login: str = "dr.martin") -> str:
    """An access token for a demo account, obtained as a person would (password, then TOTP)."""
    text = (system.data_dir / "demo" / "auth.txt").read_text()
    match = re.search(rf"^{re.escape(login)}\s+\S+\s+TOTP secret (\S+)", text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no demo account {login}")
    with httpx.Client(base_url=system.url("auth"), timeout=10) as client:
        first = client.post("/auth/login", json={"login": login, "password": DEMO_PASSWORD})
        first.raise_for_status()
        second = client.post(
            "/auth/login/totp", json={"mfa_token": first.json()["mfa_token"], "code": totp(match.group(1))}
        )
        second.raise_for_status()
    return str(second.json()["access_token"])


def claim(number: int, run: str) -> dict[str, Any]:
    matricule, code = REJECTED if number % 5 == 4 else ACCEPTED
    return {
        "submission_id": f"bench-{run}-{number}",
        "fund": "CCSS",
        "matricule": matricule,
        "code_fse": code,
        "profession": "medecin",
        "acts": [
            {
                "nomenclature": "NGAP",
                "code": "G",
                "coefficient": "1",
                "date_of_care": date.today().isoformat(),
            }
        ],
    }


def submission(token: str, body: dict[str, Any]) -> tuple[bytes, bytes]:
    """The (key, value) of a ClaimSubmitted transmission on fse.claims.submitted."""
    content = ClaimContent.model_validate(body)
    envelope = Envelope.wrap(
        ClaimSubmittedV1(access_token=token, claim=content),
        source="practice-software/bench",
        subject=content.submission_id,
    )
    return content.submission_id.encode(), envelope.model_dump_json().encode()


def new_run() -> str:
    return uuid.uuid4().hex[:8]
