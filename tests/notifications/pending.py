"""Notices waiting to be e-mailed, as the consumer leaves them: for the tests of the delivery task."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from runtime import db
from runtime.messaging.uow import UnitOfWork
from services.notifications.adapters.orm import messaging, metadata
from services.notifications.bootstrap import definition
from services.notifications.domain.delivery import Channel
from services.notifications.domain.notices import Notice
from services.notifications.service_layer.outgoing import record_notice


async def seed(engine: AsyncEngine, count: int) -> None:
    """A new notifications database holding `count` notices, each with one e-mail to send."""
    await db.migrate(engine, definition().migrations, metadata)
    uow = UnitOfWork(db.sessions(engine), messaging, "tests")
    for n in range(count):
        async with uow() as unit:
            notice = Notice(f"test:{n}", "insured", f"insured:test:{n}", f"Avis {n:03d}", "Bonjour,\n")
            await record_notice(unit, notice, [("to", Channel(f"assure{n}@example.org"))])
