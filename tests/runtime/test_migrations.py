"""Each service's migrations build, on SQLite and on PostgreSQL, exactly the schema its code declares."""

from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from runtime import db
from runtime.system import SERVICES


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_the_declared_tables(service: str, database_url: str) -> None:
    definition = importlib.import_module(f"services.{service}.bootstrap").definition()
    engine = db.make_engine(database_url)
    try:
        await db.migrate(engine, definition.migrations, definition.metadata)
        await db.migrate(engine, definition.migrations, definition.metadata)  # idempotent at every start

        def differences(connection: Connection) -> list[object]:
            return list(compare_metadata(MigrationContext.configure(connection), definition.metadata))

        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await engine.dispose()
