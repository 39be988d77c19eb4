"""`python -m services.eligibility.importer FILE [FILE ...]`: the initial load from CSV, JSON Lines or
JSON files, into the database the service's settings name. Prints every bad row; exit status 1 if any."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from runtime import crypto, db
from runtime.messaging.uow import UnitOfWork
from services.eligibility.bootstrap import definition
from services.eligibility.service_layer.importing import import_text, kind_of
from services.eligibility.settings import Settings


async def run(paths: list[Path], settings: Settings) -> int:
    service = definition(settings)
    crypto.configure(settings.resolved_data_key())
    engine = db.make_engine(settings.resolved_database_url())
    await db.migrate(engine, service.migrations, service.metadata)
    sessions = db.sessions(engine)
    uow = UnitOfWork(sessions, service.tables, f"services/{settings.service_name}")
    failed = False
    try:
        for path in paths:
            text = path.read_text(encoding="utf-8-sig")
            report = await import_text(uow, text, kind_of(path.name), settings.code_fse_grace)
            for error in report.errors:
                print(f"{path.name}:{error.line}: {error.field}: {error.reason}")
            print(
                f"{path.name}: {report.households} households, {report.members} members loaded; "
                f"{len(report.errors)} rows refused"
            )
            failed = failed or bool(report.errors)
    finally:
        await sessions.close()
        await engine.dispose()
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    return asyncio.run(run([Path(a) for a in argv], Settings()))
