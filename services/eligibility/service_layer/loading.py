"""Loading whole households into the registry: the initial load and the demo data."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from services.eligibility.adapters.repository import code_fse_digest
from services.eligibility.adapters.writer import RegistryWriter
from services.eligibility.domain.records import HouseholdRecord


async def load_household(
    session: AsyncConnection, record: HouseholdRecord, now: datetime, grace: timedelta
) -> None:
    """Idempotent: loading the same household twice leaves one copy of each fact."""
    writer = RegistryWriter(session, record.fund, record.matricule)
    digest = code_fse_digest(record.fund, record.matricule, record.code_fse)
    await writer.set_code((await writer.code()).issued(digest, now, grace))
    for member in record.members.values():
        await writer.put_member(member.facts)
        for period in member.rights:
            await writer.put_period(member.facts.rank, "rights", period.start, period.end)
        for period in member.etm:
            await writer.put_period(member.facts.rank, "etm", period.start, period.end, period.scope)
    for year, colour in record.colours.items():
        await writer.set_colour(year, colour)
    if record.insurer_email or record.forward_statements:
        await writer.set_contact(record.insurer_email, record.forward_statements, now)
