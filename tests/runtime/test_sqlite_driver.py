"""The SQLite driver: what cannot wait runs on the event loop's thread; a wait for a lock, COMMIT do not."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, MetaData, Table, event, insert, select

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


async def test_statements_run_on_the_loop_and_commit_on_the_worker(tmp_path: Path) -> None:
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
        assert by_verb["COMMIT"] != loop_thread
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
            async with db.sessions(engine)() as session, session.begin():
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
