"""A database error shows the statement, never its parameters: they may be medical, and the error's
text reaches logs (a batch handed back to Kafka is logged with its exception). What PostgreSQL's own
message quotes (its DETAIL line) is redacted from the logs."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy.exc import IntegrityError

from runtime import db
from runtime.logs import SafeFormatter


async def _refused(database_url: str, first: dict[str, Any], again: dict[str, Any]) -> list[IntegrityError]:
    """Insert `first`, then `again`, which conflicts with it: once through the services' own path
    (`Sessions.writing`, on SQLite the loop's connections), once on the engine (migrations and health
    checks use it). Returns both errors."""
    metadata = MetaData()
    notes = Table(
        "notes", metadata, Column("n", Integer, primary_key=True), Column("text", String(40), unique=True)
    )
    engine = db.make_engine(database_url)
    sessions = db.sessions(engine)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with sessions.writing() as session:
            await session.execute(notes.insert().values(**first))
        with pytest.raises(IntegrityError) as caught:
            async with sessions.writing() as session:
                await session.execute(notes.insert().values(**again))
        with pytest.raises(IntegrityError) as on_the_engine:
            async with engine.begin() as connection:
                await connection.execute(notes.insert().values(**again))
    finally:
        await sessions.close()
        await engine.dispose()
    return [caught.value, on_the_engine.value]


async def test_a_failed_statement_does_not_show_its_parameters(database_url: str) -> None:
    for error in await _refused(
        database_url, {"n": 1, "text": "first"}, {"n": 1, "text": "diagnosis: diabetes"}
    ):
        assert "INSERT INTO notes" in str(error)
        assert "diabetes" not in str(error)


async def test_a_logged_constraint_error_does_not_show_the_values_it_names(database_url: str) -> None:
    value = f"diagnosis {uuid.uuid4().hex[:12]}"  # not in this file: a traceback quotes its lines
    for error in await _refused(database_url, {"n": 1, "text": value}, {"n": 2, "text": value}):
        if database_url.startswith("postgresql"):
            assert value in str(error)  # PostgreSQL's DETAIL names the key's value
        cause = (type(error), error, error.__traceback__)
        record = logging.LogRecord("claims", logging.ERROR, __file__, 1, "batch handed back", None, cause)
        logged = SafeFormatter("%(message)s").format(record)
        assert "IntegrityError" in logged
        assert value not in logged
