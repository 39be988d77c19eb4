"""A database error shows the statement, never its parameters: they may be medical, and the error's
text reaches logs (a batch handed back to Kafka is logged with its exception)."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy.exc import IntegrityError

from runtime import db


async def test_a_failed_statement_does_not_show_its_parameters(database_url: str) -> None:
    metadata = MetaData()
    notes = Table("notes", metadata, Column("n", Integer, primary_key=True), Column("text", String(40)))
    engine = db.make_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            await connection.execute(notes.insert().values(n=1, text="first"))
        with pytest.raises(IntegrityError) as caught:
            async with engine.begin() as connection:
                await connection.execute(notes.insert().values(n=1, text="diagnosis: diabetes"))
    finally:
        await engine.dispose()
    assert "INSERT INTO notes" in str(caught.value)
    assert "diabetes" not in str(caught.value)
