"""One way to reach a service's own database: SQLite by default, PostgreSQL by URL, the same code and
Alembic migrations on both."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import sqlite3
import time
import weakref
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, Executable, MetaData, create_engine, event
from sqlalchemy.engine import Connection, CursorResult, Dialect, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncResult, create_async_engine
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator

_ENV_DIR = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database (SQLite itself keeps no time zone); naive values refused.

    On SQLite the value is kept as SQLAlchemy's `DateTime` keeps it there, the UTC time as text
    (`2026-12-07 20:55:01.123456`), but written and read with `datetime.isoformat` and `fromisoformat`
    instead of the dialect's own `%`-format and regular expression. A service writes a time with every
    event, inbox row and change it records: that format cost the claims consumer about 140,000
    instructions a claim (docs/benchmarks.md, 2026-12-07 19:28)."""

    impl = DateTime
    cache_ok = True

    def __init__(self, timezone: bool = True) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else _utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_text

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        return _sqlite_datetime


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("datetime: a time zone is required")
    return value.astimezone(UTC)


def _sqlite_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    return _utc(value).isoformat(" ", "microseconds")[:26]  # the text without its "+00:00"


def _sqlite_datetime(value: str | None) -> datetime | None:
    # The text never holds a zone (neither this nor SQLAlchemy's format writes one): it is UTC's.
    return None if value is None else datetime.fromisoformat(value + "+00:00")


def make_engine(url: str) -> AsyncEngine:
    """The service's engine: migrations, health checks and `sessions(engine)` start from it. Its errors
    and logs never show a statement's parameters (they may be medical)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, hide_parameters=True)


READ_ONLY = {"fse_read_only": True}
"""Execution options for a transaction that only reads (every `Sessions()` conversation): on SQLite it
begins DEFERRED and query-only, so it neither takes nor waits for the write lock (WAL readers see the
last commit)."""

BUSY_TIMEOUT_MS = 30_000
CHECKPOINT_SECONDS = 1.0
"""The WAL is copied back into the database file (a checkpoint) after a commit at most this often, on a
worker thread. SQLite's own checkpoint runs inside COMMIT once the WAL holds 1,000 pages: under load,
170 to 260 of the claims service's transactions (4 to 6 pages each); a second's worth is a few
megabytes."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions begin where _sqlite_begin or _LoopSqlite say
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA wal_autocheckpoint=0")  # run on a worker instead: _LoopSqlite.after_commit
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """BEGIN IMMEDIATE, so that a writer waits for the lock up front instead of failing when a read
    transaction tries to upgrade; a transaction marked READ_ONLY begins DEFERRED."""
    read_only = connection.get_execution_options().get("fse_read_only", False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


class _LoopSqlite:
    """SQLite for `Sessions`: the standard library's driver, called on the event loop's thread.

    A statement on a local file takes microseconds, and inside a transaction it never waits: a writer
    holds the write lock from its BEGIN IMMEDIATE and a WAL reader takes none. Going through the
    asynchronous driver instead cost a thread hand-off and SQLAlchemy's greenlet bridge for every
    statement (measured on one machine: a transaction of one insert 565 µs of CPU against 112 µs here,
    an insert or a select inside a transaction 95 µs against 22-24 µs). What may wait runs on a worker
    thread: a BEGIN IMMEDIATE while another process holds the write lock (tried at once first), and the
    checkpoint that copies the WAL into the database file. (A statement keeps SQLite's busy timeout, for
    the rare moments a reader must wait too: while another process recovers the WAL after a crash.)
    The pool never blocks (no connection limit): a wait for a pooled connection would stop the loop."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.engine = create_engine(
            "sqlite:///" + database, poolclass=QueuePool, pool_size=8, max_overflow=-1, hide_parameters=True
        )
        event.listen(self.engine, "connect", _sqlite_pragmas)
        event.listen(self.engine, "begin", self._begin)
        self.reading = self.engine.execution_options(**READ_ONLY)
        self._checkpointed = time.monotonic()
        self._checkpoint: asyncio.Future[None] | None = None

    @staticmethod
    def _begin(connection: Connection) -> None:
        """A reader's transaction (begun at its first statement) is DEFERRED and query-only: it neither
        takes nor waits for the write lock, and a write in it fails at once ("readonly"). A writer's
        has begun already (`begin_immediate`)."""
        raw = connection.connection.dbapi_connection
        assert raw is not None
        if raw.in_transaction:
            return
        info = connection.connection.info
        if not info.get("fse_query_only", False):
            raw.execute("PRAGMA query_only=1").close()
            info["fse_query_only"] = True
        raw.execute("BEGIN").close()

    async def begin_immediate(self, connection: Connection) -> None:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        info = connection.connection.info
        if info.get("fse_query_only", False):
            raw.execute("PRAGMA query_only=0").close()
            info["fse_query_only"] = False
        raw.execute("PRAGMA busy_timeout=0").close()  # tried at once: a wait would stop the loop
        try:
            raw.execute("BEGIN IMMEDIATE").close()
            return
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise OperationalError("BEGIN IMMEDIATE", None, error) from error
        finally:
            raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}").close()
        try:  # on a worker: this connection is this task's alone meanwhile
            await asyncio.to_thread(lambda: raw.execute("BEGIN IMMEDIATE").close())
        except sqlite3.OperationalError as error:
            raise OperationalError("BEGIN IMMEDIATE", None, error) from error

    def after_commit(self) -> None:
        """A checkpoint on a worker thread if the last one is CHECKPOINT_SECONDS old (one at a time),
        left to run: the committer goes on at once. A checkpoint took 5-70 ms under load (claims at
        300 claims/s); awaited, it held up every request and event that the committing writer served."""
        if time.monotonic() - self._checkpointed < CHECKPOINT_SECONDS or self._checkpoint is not None:
            return
        self._checkpointed = time.monotonic()
        self._checkpoint = asyncio.ensure_future(asyncio.to_thread(self._copy_wal))
        self._checkpoint.add_done_callback(self._checkpoint_done)

    def _checkpoint_done(self, checkpoint: asyncio.Future[None]) -> None:
        self._checkpoint = None
        if not checkpoint.cancelled() and (error := checkpoint.exception()) is not None:
            # The commits stand; the next checkpoint copies what is left.
            log.warning("SQLite checkpoint failed: %s", error)

    async def settle(self) -> None:
        """Wait for the checkpoint in progress, if any."""
        if self._checkpoint is not None:
            await asyncio.gather(self._checkpoint, return_exceptions=True)

    def _copy_wal(self) -> None:
        connection = sqlite3.connect(self.database, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").close()
        finally:
            connection.close()


class LoopConnection(AsyncConnection):
    """An `AsyncConnection` over a connection of `_LoopSqlite`: the same interface for the services,
    every call made at once on the loop's thread."""

    async def execute(
        self,
        statement: Executable,
        parameters: Any = None,
        *,
        execution_options: Any = None,
    ) -> CursorResult[Any]:
        return self._proxied.execute(statement, parameters, execution_options=execution_options)

    async def stream(  # type: ignore[override]
        self,
        statement: Executable,
        parameters: Any = None,
        *,
        execution_options: Any = None,
    ) -> AsyncResult[Any]:
        """Rows read as they are iterated (SQLite's cursor is lazy), in chunks of the statement's
        yield_per."""
        return AsyncResult(self._proxied.execute(statement, parameters, execution_options=execution_options))

    async def rollback(self) -> None:
        self._proxied.rollback()

    async def commit(self) -> None:
        self._proxied.commit()

    def begin_nested(self) -> Any:
        return _Savepoint(self._proxied)


class _Savepoint:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._transaction: Any = None

    async def __aenter__(self) -> None:
        self._transaction = self._connection.begin_nested()

    async def __aexit__(self, kind: Any, error: Any, traceback: Any) -> None:
        self._transaction.__exit__(kind, error, traceback)


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
    on `write_lock`. On SQLite both run on the loop's thread (`_LoopSqlite`).

    Connections, not SQLAlchemy's ORM session: the services speak SQLAlchemy Core only, and the ORM
    session's own begin, flush and commit machinery cost 15-30 % more per transaction (SQLite, CPU:
    a transaction of 2 statements 383-555 µs with the session, 330-490 µs without; of 9 statements
    934-1,229 µs against 666-919 µs)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._reading = engine.execution_options(**READ_ONLY)
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self._sqlite = _LoopSqlite(database) if database else None
        if self._sqlite is not None:
            weakref.finalize(self, self._sqlite.engine.dispose)

    def __call__(self) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
        if self._sqlite is None:
            return self._reading.connect()
        return self._read_on_loop(self._sqlite)

    @contextlib.asynccontextmanager
    async def _read_on_loop(self, sqlite: _LoopSqlite) -> AsyncIterator[AsyncConnection]:
        with sqlite.reading.connect() as connection:
            yield LoopConnection(self.engine, connection)

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        sqlite = self._sqlite
        if sqlite is None:
            async with self.engine.connect() as session, session.begin():
                yield session
            return
        async with write_lock(self.engine):
            with sqlite.engine.connect() as connection:
                await sqlite.begin_immediate(connection)
                with connection.begin():
                    yield LoopConnection(self.engine, connection)
        sqlite.after_commit()

    @property
    def loop_engine(self) -> Engine | None:
        """On SQLite, the engine of the connections that `Sessions` hands out (`_LoopSqlite`)."""
        return self._sqlite.engine if self._sqlite is not None else None

    def dispose(self) -> None:
        """Close the pooled connections of the SQLite path (the engine's own close with `dispose`)."""
        if self._sqlite is not None:
            self._sqlite.engine.dispose()

    async def close(self) -> None:
        """Let the checkpoint in progress finish (SQLite), then `dispose` (even if that wait is cut short)."""
        try:
            if self._sqlite is not None:
                await self._sqlite.settle()
        finally:
            self.dispose()


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
