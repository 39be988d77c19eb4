"""The portal's patient lookup: matricule + code FSE + fund → the household, throttled and audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from contracts.common import Fund
from runtime.crypto import fingerprint
from runtime.messaging.uow import UnitOfWork
from runtime.security import Actor
from services.eligibility.adapters.guard import GuardRepository
from services.eligibility.adapters.repository import RegistryRepository, code_fse_digest
from services.eligibility.domain.throttle import Limit
from services.eligibility.domain.view import HouseholdView, household_view

MONACO = ZoneInfo("Europe/Monaco")


@dataclass(frozen=True)
class Limits:
    matricule: Limit
    caller: Limit


@dataclass(frozen=True)
class LookupResult:
    view: HouseholdView | None = None
    retry_after: timedelta | None = None


async def look_up(
    uow: UnitOfWork, actor: Actor, insured: tuple[Fund, str, str], limits: Limits, now: datetime
) -> LookupResult:
    """A view of the household, or no view (unknown matricule and wrong code look the same), or the time
    to wait when the matricule or the caller is locked. Every outcome is audited."""
    fund, matricule, code = insured
    keys = (
        fingerprint(f"throttle:insured:{fund}:{matricule}"),
        fingerprint(f"throttle:caller:{actor.user_id}"),
    )
    who = (actor.user_id, actor.role.value, actor.practitioner_id)
    async with uow() as unit:
        guard = GuardRepository(unit.session)
        by_key = {key: await guard.counter(key, now) for key in sorted(keys)}  # one lock order
        counters = [by_key[key] for key in keys]
        locks = [c.blocked_until - now for c in counters if c.blocked_until and c.blocked(now)]
        if locks:
            await guard.audit(now, who, fund.value, matricule, "throttled")
            return LookupResult(retry_after=max(locks))
        registry = RegistryRepository(unit.session)
        # An unknown matricule and a wrong code take the same path: one read, one comparison.
        codes = await registry.code(fund, matricule)
        accepted = codes.accepts(code_fse_digest(fund, matricule, code), now)
        household = await registry.household(fund, matricule) if accepted else None
        if household is None or not household.members:
            for key, counter, limit in zip(keys, counters, (limits.matricule, limits.caller), strict=True):
                await guard.put_counter(key, counter.after_failure(now, limit))
            await guard.audit(now, who, fund.value, matricule, "refused")
            return LookupResult()
        await guard.audit(now, who, fund.value, matricule, "found")
        details = await registry.member_details(fund, matricule)
        return LookupResult(view=household_view(household, details, now.astimezone(MONACO).date()))
