"""A database error shows the statement, never its parameters: they may be medical, and the error's
text reaches logs (a batch handed back to Kafka is logged with its exception)."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy.exc import IntegrityError

from runtime import db


async def test_a_failed_statement_does_not_show_its_parameters(database_url: str) -> None:
    """Through the services' own path: `Sessions.writing` (on SQLite, the loop's connections)."""
    metadata = MetaData()
    notes = Table("notes", metadata, Column("n", Integer, primary_key=True), Column("text", String(40)))
    engine = db.make_engine(database_url)
    sessions = db.sessions(engine)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with sessions.writing() as session:
            await session.execute(notes.insert().values(n=1, text="first"))
        with pytest.raises(IntegrityError) as caught:
            async with sessions.writing() as session:
                await session.execute(notes.insert().values(n=1, text="diagnosis: diabetes"))
        with pytest.raises(IntegrityError) as on_the_engine:  # migrations and health checks use it
            async with engine.begin() as connection:
                await connection.execute(notes.insert().values(n=1, text="diagnosis: diabetes"))
    finally:
        await sessions.close()
        await engine.dispose()
    for error in (caught.value, on_the_engine.value):
        assert "INSERT INTO notes" in str(error)
        assert "diabetes" not in str(error)
