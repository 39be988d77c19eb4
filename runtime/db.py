"""One way to reach a service's own database: SQLite by default, PostgreSQL by URL, the same code and
Alembic migrations on both."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import sqlite3
import time
import weakref
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.types import TypeDecorator

_ENV_DIR = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database (SQLite itself keeps no time zone); naive values refused."""

    impl = DateTime
    cache_ok = True

    def __init__(self, timezone: bool = True) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("datetime: a time zone is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        database = parsed.database or ":memory:"
        engine = create_async_engine(url, async_creator=lambda: _connect_sqlite(database))
        _sqlite_pragmas(engine)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


BUSY_TIMEOUT_MS = 30_000
CHECKPOINT_SECONDS = 1.0
"""A connection copies its WAL into the database file after a commit at most this often. SQLite's own
checkpoint runs inside COMMIT once the WAL holds 1,000 pages: under load, 170 to 260 of the claims
service's transactions (4 to 6 pages each); a second's worth is a few megabytes."""


class _SqliteConnection(aiosqlite.Connection):
    """aiosqlite, except that what cannot wait runs on the event loop's thread instead of being handed
    to the connection's worker thread and back: two thread switches cost more than a statement on a
    local file, and under load each one waits its turn for the interpreter (milliseconds).

    Inside a transaction a statement never waits: BEGIN IMMEDIATE holds the write lock and a reader
    under WAL takes none (its transaction is query-only, so a write in it fails at once instead of
    waiting for the lock); neither do COMMIT and ROLLBACK. BEGIN IMMEDIATE is tried at once without
    waiting, and only if another process holds the write lock is it handed to the worker to wait
    there, leaving the loop free. What may take time runs on the worker as before: connecting,
    closing, a statement outside a transaction, and copying the WAL back into the database file (a
    checkpoint: SQLite's own, which a COMMIT would run, is off; this connection runs one on the worker
    after a commit, at most every CHECKPOINT_SECONDS)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._checkpointed = time.monotonic()
        self._query_only = False

    async def commit(self) -> None:
        self._conn.commit()
        if time.monotonic() - self._checkpointed >= CHECKPOINT_SECONDS:
            self._checkpointed = time.monotonic()
            try:
                await super()._execute(self._checkpoint)  # type: ignore[no-untyped-call]
            except sqlite3.Error as error:  # the commit stands; the next checkpoint copies what is left
                log.warning("SQLite checkpoint failed: %s", error)

    def _checkpoint(self) -> None:
        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").close()  # closed: no statement left open

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if isinstance(getattr(fn, "__self__", None), sqlite3.Cursor):
            if self._conn.in_transaction:
                return fn(*args, **kwargs)
            if args and str(args[0]).startswith("BEGIN"):
                return await self._begin(fn, *args, **kwargs)
        elif getattr(fn, "__name__", "") in {"cursor", "rollback"}:
            return fn(*args, **kwargs)
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    async def _begin(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        connection = self._conn
        read_only = str(args[0]).strip().upper() == "BEGIN"
        if read_only != self._query_only:  # a reader that writes fails at once instead of waiting
            connection.execute(f"PRAGMA query_only={int(read_only)}")
            self._query_only = read_only
        if read_only:
            return fn(*args, **kwargs)  # DEFERRED takes no lock: it never waits
        connection.execute("PRAGMA busy_timeout=0")
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
        finally:
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]


async def _connect_sqlite(database: str) -> aiosqlite.Connection:
    # check_same_thread=False: the worker thread opens it; both threads use it, never at once.
    connector = functools.partial(
        sqlite3.connect, database, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
    )
    return await _SqliteConnection(connector, iter_chunk_size=64)


READ_ONLY = {"fse_read_only": True}
"""Execution options for a transaction that only reads (every `Sessions()` conversation): on SQLite it
begins DEFERRED and query-only, so it neither takes nor waits for the write lock (WAL readers see the
last commit)."""


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    """WAL for concurrent readers, and BEGIN IMMEDIATE so that a writer waits for the lock up front
    instead of failing when a read transaction tries to upgrade (except transactions marked READ_ONLY)."""

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA wal_autocheckpoint=0")  # run on the worker instead: _SqliteConnection
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get("fse_read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


_write_locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()
_writing: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar("fse_writing", default=frozenset())


@contextlib.asynccontextmanager
async def _exclusive(lock: asyncio.Lock, engine: AsyncEngine) -> AsyncIterator[None]:
    held = _writing.get()
    if id(engine.sync_engine) in held:
        raise RuntimeError("a unit of work inside another on the same SQLite database would wait for itself")
    async with lock:
        token = _writing.set(held | {id(engine.sync_engine)})
        try:
            yield
        finally:
            _writing.reset(token)


def write_lock(engine: AsyncEngine) -> contextlib.AbstractAsyncContextManager[Any]:
    """One writer at a time within this process on SQLite (PostgreSQL: no lock). SQLite allows a single
    writer anyway; queueing writers here instead of in SQLite's busy handler (which polls with sleeps
    of up to 100 ms) keeps commits back to back under load. Other processes still meet busy_timeout."""
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    lock = _write_locks.get(engine.sync_engine)
    if lock is None:
        lock = _write_locks[engine.sync_engine] = asyncio.Lock()
    return _exclusive(lock, engine)


class Sessions:
    """Conversations with a service's database, on connections of the engine's pool.

    `async with sessions() as session` reads: its transaction begins at its first statement and is
    rolled back when the block ends; on SQLite it begins DEFERRED and query-only, so it neither takes
    nor waits for the write lock (a WAL reader sees the last commit), and a write in it fails at once.
    `async with sessions.writing() as session` writes: one transaction, committed when the block ends
    and rolled back on an error; on SQLite it begins IMMEDIATE, and the writers of one process queue
    on `write_lock`.

    Connections, not SQLAlchemy's ORM session: the services speak SQLAlchemy Core only, and the ORM
    session's own begin, flush and commit machinery cost 15-30 % more per transaction (SQLite, CPU:
    a transaction of 2 statements 383-555 µs with the session, 330-490 µs without; of 9 statements
    934-1,229 µs against 666-919 µs)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._reading = engine.execution_options(**READ_ONLY)

    def __call__(self) -> AsyncConnection:
        return self._reading.connect()

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        async with write_lock(self.engine), self.engine.connect() as session, session.begin():
            yield session


def sessions(engine: AsyncEngine) -> Sessions:
    return Sessions(engine)


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


def alembic_config(versions: Path, metadata: MetaData) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_ENV_DIR))
    config.set_main_option("version_locations", str(versions))
    config.set_main_option("path_separator", "os")
    config.attributes["metadata"] = metadata
    return config


async def migrate(engine: AsyncEngine, versions: Path, metadata: MetaData) -> None:
    """Bring the schema to the newest migration (run at every start; a no-op when up to date)."""
    config = alembic_config(versions, metadata)

    def upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        await connection.run_sync(upgrade)


async def make_revision(engine: AsyncEngine, versions: Path, metadata: MetaData, message: str) -> None:
    config = alembic_config(versions, metadata)

    def revision(connection: Connection) -> None:
        config.attributes["connection"] = connection
        number = len(list(versions.glob("[0-9][0-9][0-9][0-9]_*.py"))) + 1
        command.revision(config, message=message, autogenerate=True, rev_id=f"{number:04d}")

    async with engine.begin() as connection:
        await connection.run_sync(revision)
