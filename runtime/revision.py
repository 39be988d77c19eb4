"""Write a new Alembic migration for a service from the difference between its tables and a fresh
database: `python -m runtime.revision claims "add history index"`."""

import asyncio
import importlib
import sys
import tempfile

from runtime import db


async def main(service: str, message: str) -> None:
    bootstrap = importlib.import_module(f"services.{service}.bootstrap")
    definition = bootstrap.definition()
    with tempfile.TemporaryDirectory() as scratch:
        engine = db.make_engine(f"sqlite+aiosqlite:///{scratch}/scratch.db")
        await db.migrate(engine, definition.migrations, definition.metadata)
        await db.make_revision(engine, definition.migrations, definition.metadata, message)
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
