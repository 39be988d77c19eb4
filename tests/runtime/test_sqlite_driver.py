"""The SQLite driver: what cannot wait runs on the event loop's thread; a wait for a lock and the copy of
the WAL into the database file (a checkpoint) do not."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, event, insert, select
from sqlalchemy.exc import OperationalError

from runtime import db

metadata = MetaData()
items = Table("items", metadata, Column("id", Integer, primary_key=True))


def traced(engine: Any) -> list[tuple[str, int]]:
    """Every SQL statement SQLite runs, with the thread that ran it."""
    statements: list[tuple[str, int]] = []

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        raw = dbapi_connection.driver_connection._conn
        raw.set_trace_callback(lambda sql: statements.append((sql, threading.get_ident())))

    return statements


async def test_statements_and_commit_run_on_the_loop(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    statements = traced(engine)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        statements.clear()
        async with engine.begin() as connection:
            await connection.execute(insert(items), [{"id": 1}, {"id": 2}])
            assert (await connection.execute(select(items.c.id))).scalars().all() == [1, 2]
        loop_thread = threading.get_ident()
        by_verb = {sql.split()[0].upper(): thread for sql, thread in statements}
        assert by_verb["INSERT"] == loop_thread
        assert by_verb["SELECT"] == loop_thread
        assert by_verb["BEGIN"] == loop_thread  # nobody else holds the write lock: no wait
        assert by_verb["COMMIT"] == loop_thread
    finally:
        await engine.dispose()


async def test_the_wal_is_copied_into_the_database_on_the_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'wal.db'}")
    statements = traced(engine)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        monkeypatch.setattr(db, "CHECKPOINT_SECONDS", 3600.0)
        for number in range(50):
            async with engine.begin() as connection:
                await connection.execute(insert(items), {"id": number})
        assert not [sql for sql, _thread in statements if "wal_checkpoint" in sql]  # not due yet
        monkeypatch.setattr(db, "CHECKPOINT_SECONDS", 0.0)
        async with engine.begin() as connection:
            await connection.execute(insert(items), {"id": 50})
        checkpoints = [thread for sql, thread in statements if "wal_checkpoint" in sql]
        assert checkpoints, "no checkpoint once CHECKPOINT_SECONDS had passed"
        assert threading.get_ident() not in checkpoints
        # The database file alone, without its WAL, holds what was committed before the checkpoint.
        shutil.copy(tmp_path / "wal.db", tmp_path / "copy.db")
        copy = sqlite3.connect(tmp_path / "copy.db")
        try:
            (count,) = copy.execute("SELECT count(*) FROM items").fetchone()
        finally:
            copy.close()
        assert count == 51
    finally:
        await engine.dispose()


async def test_waiting_for_another_process_write_lock_leaves_the_loop_running(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    engine = db.make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process's writer holds the lock
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        async def write() -> None:
            async with db.sessions(engine).writing() as session:
                await session.execute(insert(items), {"id": 7})

        ticker = asyncio.create_task(tick())
        writer = asyncio.create_task(write())
        await asyncio.sleep(0.3)
        assert not writer.done()  # it waits for the lock...
        ticks_while_waiting = ticks
        other.execute("COMMIT")
        other.close()
        await asyncio.wait_for(writer, 30)
        ticker.cancel()
        assert ticks_while_waiting >= 5  # ...and the loop went on meanwhile
        async with engine.connect() as connection:
            assert (await connection.execute(select(items.c.id))).scalars().all() == [7]
    finally:
        await engine.dispose()


async def test_a_reader_neither_waits_for_the_write_lock_nor_writes(tmp_path: Path) -> None:
    path = tmp_path / "read.db"
    engine = db.make_engine(f"sqlite+aiosqlite:///{path}")
    sessions = db.sessions(engine)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with sessions.writing() as session:
            await session.execute(insert(items), {"id": 1})
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process's writer holds the lock
        try:
            async with sessions() as session:
                read = await asyncio.wait_for(session.execute(select(items.c.id)), 2)
                assert read.scalars().all() == [1]
                with pytest.raises(OperationalError, match="readonly"):
                    await asyncio.wait_for(session.execute(insert(items), {"id": 2}), 2)
        finally:
            other.execute("ROLLBACK")
            other.close()
        async with sessions.writing() as session:  # the same pooled connection writes again
            await session.execute(insert(items), {"id": 3})
        async with sessions() as session:
            assert (await session.execute(select(items.c.id))).scalars().all() == [1, 3]
    finally:
        await engine.dispose()
