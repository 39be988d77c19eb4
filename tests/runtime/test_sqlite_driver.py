"""SQLite as the services reach it (`Sessions`): what cannot wait runs on the event loop's thread; a wait
for another process's lock and the copy of the WAL into the database file (a checkpoint) do not."""

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


def traced(sessions: db.Sessions) -> list[tuple[str, int]]:
    """Every SQL statement SQLite runs on the connections `sessions` hands out, with its thread."""
    statements: list[tuple[str, int]] = []
    assert sessions.loop_engine is not None

    @event.listens_for(sessions.loop_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(lambda sql: statements.append((sql, threading.get_ident())))

    return statements


async def test_statements_and_commit_run_on_the_loop(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    sessions = db.sessions(engine)
    statements = traced(sessions)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with sessions.writing() as session:
            await session.execute(insert(items), [{"id": 1}, {"id": 2}])
            assert (await session.execute(select(items.c.id))).scalars().all() == [1, 2]
        async with sessions() as session:
            assert (await session.execute(select(items.c.id).where(items.c.id == 2))).scalar() == 2
        loop_thread = threading.get_ident()
        verbs = [(sql.split()[0].upper(), thread) for sql, thread in statements]
        assert {verb for verb, _thread in verbs} >= {"BEGIN", "INSERT", "SELECT", "COMMIT"}
        assert all(thread == loop_thread for _verb, thread in verbs)  # nobody else held the lock
        begins = [sql for sql, _thread in statements if sql.upper().startswith("BEGIN")]
        assert begins == ["BEGIN IMMEDIATE", "BEGIN"]  # the writer's, then the reader's (DEFERRED)
    finally:
        sessions.dispose()
        await engine.dispose()


async def test_the_wal_is_copied_into_the_database_on_a_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'wal.db'}")
    sessions = db.sessions(engine)
    copied_on: list[int] = []
    copy_wal = db._LoopSqlite._copy_wal

    def recorded(self: Any) -> None:
        copied_on.append(threading.get_ident())
        copy_wal(self)

    monkeypatch.setattr(db._LoopSqlite, "_copy_wal", recorded)

    def rows_in_the_file_alone() -> int:
        shutil.copy(tmp_path / "wal.db", tmp_path / "copy.db")
        copy = sqlite3.connect(tmp_path / "copy.db")
        try:
            return int(copy.execute("SELECT count(*) FROM items").fetchone()[0])
        finally:
            copy.close()

    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        checkpoint = sqlite3.connect(tmp_path / "wal.db")
        checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)").close()  # the table, in the file
        checkpoint.close()
        monkeypatch.setattr(db, "CHECKPOINT_SECONDS", 3600.0)
        for number in range(50):
            async with sessions.writing() as session:
                await session.execute(insert(items), {"id": number})
        assert not copied_on  # not due yet...
        assert rows_in_the_file_alone() == 0  # ...so the rows are in the WAL only
        monkeypatch.setattr(db, "CHECKPOINT_SECONDS", 0.0)
        async with sessions.writing() as session:
            await session.execute(insert(items), {"id": 50})
        await sessions.close()  # lets the checkpoint in progress finish
        assert copied_on, "no checkpoint once CHECKPOINT_SECONDS had passed"
        assert threading.get_ident() not in copied_on
        # The database file alone, without its WAL, holds what was committed before the checkpoint.
        assert rows_in_the_file_alone() == 51
    finally:
        sessions.dispose()
        await engine.dispose()


async def test_a_commit_does_not_wait_for_the_checkpoint_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'slow.db'}")
    sessions = db.sessions(engine)
    copying, go_on, copied = threading.Event(), threading.Event(), threading.Event()
    copy_wal = db._LoopSqlite._copy_wal

    def slow(self: Any) -> None:
        copying.set()
        go_on.wait(120)  # bounded, so that a commit that waited for it ends, and fails below
        copy_wal(self)
        copied.set()

    monkeypatch.setattr(db._LoopSqlite, "_copy_wal", slow)
    monkeypatch.setattr(db, "CHECKPOINT_SECONDS", 0.0)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)

        async def write(number: int) -> None:
            async with sessions.writing() as session:
                await session.execute(insert(items), {"id": number})

        await write(1)  # starts a checkpoint, which stays in progress until go_on...
        assert await asyncio.to_thread(copying.wait, 120)
        await write(2)
        assert not copied.is_set()  # ...and neither that commit nor the next waited for it
        async with sessions() as session:
            assert (await session.execute(select(items.c.id))).scalars().all() == [1, 2]
        go_on.set()
        await sessions.close()
        assert copied.is_set()
    finally:
        go_on.set()
        sessions.dispose()
        await engine.dispose()


async def test_waiting_for_another_process_write_lock_leaves_the_loop_running(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    engine = db.make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process's writer holds the lock
        sessions = db.sessions(engine)
        asked = asyncio.Event()

        async def write() -> None:
            asked.set()
            async with sessions.writing() as session:
                await session.execute(insert(items), {"id": 7})

        async def read() -> list[int]:
            async with sessions() as session:
                return list((await session.execute(select(items.c.id))).scalars().all())

        writer = asyncio.create_task(write())
        await asyncio.wait_for(asked.wait(), 10)  # the writer has asked for the lock...
        # ...and while it waits, the loop serves a reader: a wait on the loop's thread would hold it
        # for the whole busy timeout (30 s), and then fail the writer.
        assert await asyncio.wait_for(read(), 10) == []
        assert not writer.done()
        other.execute("COMMIT")
        other.close()
        await asyncio.wait_for(writer, 30)
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
                # A reader that waited for the lock would fail once the busy timeout ran out, with
                # "database is locked"; one that could write would fail the same way on the insert.
                read = await session.execute(select(items.c.id))
                assert read.scalars().all() == [1]
                with pytest.raises(OperationalError, match="readonly"):
                    await session.execute(insert(items), {"id": 2})
        finally:
            other.execute("ROLLBACK")
            other.close()
        async with sessions.writing() as session:  # the same pooled connection writes again
            await session.execute(insert(items), {"id": 3})
        async with sessions() as session:
            assert (await session.execute(select(items.c.id))).scalars().all() == [1, 3]
    finally:
        await engine.dispose()
