"""A practitioner's account: the application, kept pending until a fund operator activates it, and
deactivation, which ends the practitioner's and their assistants' sessions at once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, select, update

from contracts.auth import PractitionerActivatedV1, PractitionerAppliedV1, PractitionerDeactivatedV1
from contracts.common import Profession
from runtime.db import Sessions
from runtime.messaging.uow import UnitOfWork
from services.auth.adapters import repository as repo
from services.auth.adapters.orm import users
from services.auth.domain.identifiers import check_identifiers
from services.auth.domain.passwords import check_policy, hash_password
from services.auth.service_layer.audit import record
from services.auth.service_layer.sessions import end_everything


class AccountError(ValueError):
    """Names the field and the reason."""


@dataclass(frozen=True)
class Application:
    login: str
    password: str
    profession: Profession
    last_name: str
    first_name: str
    email: str
    phones: list[str]
    rpps: str | None = None
    adeli: str | None = None

    def identifiers(self) -> tuple[str, ...]:
        words = (self.login, self.last_name, self.first_name, self.email.split("@")[0], self.rpps, self.adeli)
        return tuple(w for w in words if w)


async def apply(uow: UnitOfWork, application: Application, now: datetime) -> str:
    check_identifiers(application.rpps, application.adeli)
    check_policy(application.password, application.identifiers())
    async with uow() as unit:
        if await repo.user_by_login(unit.session, application.login) is not None:
            raise AccountError("login: already taken")
        practitioner_id = f"prt-{uuid.uuid4().hex[:16]}"
        await unit.session.execute(
            users.insert().values(
                id=practitioner_id,
                login=application.login,
                password_hash=hash_password(application.password),
                role="practitioner",
                profession=application.profession.value,
                status="pending",
                totp_active=False,
                created_at=now,
                last_name=application.last_name,
                first_name=application.first_name,
                email=application.email,
                phones=application.phones,
                rpps=application.rpps,
                adeli=application.adeli,
            )
        )
        applied = PractitionerAppliedV1(
            practitioner_id=practitioner_id, profession=application.profession, at=now
        )
        record(unit, applied, subject=practitioner_id)
    return practitioner_id


async def pending(sessions: Sessions, limit: int, offset: int = 0) -> list[Row[Any]]:
    """The applications waiting for an operator, oldest first: a page of them."""
    async with sessions() as session:
        return await repo.pending_practitioners(session, limit, offset)


async def activate(uow: UnitOfWork, practitioner_id: str, now: datetime) -> None:
    async with uow() as unit:
        user = await repo.user_by_id(unit.session, practitioner_id)
        if user is None or user.role != "practitioner":
            raise AccountError("practitioner_id: no such practitioner")
        if user.status != "pending":
            raise AccountError(f"practitioner_id: the account is {user.status}, not pending")
        await unit.session.execute(update(users).where(users.c.id == user.id).values(status="active"))
        activated = PractitionerActivatedV1(
            practitioner_id=user.id,
            profession=Profession(user.profession),
            last_name=user.last_name or "",
            first_name=user.first_name or "",
            email=user.email,
            activated_at=now,
        )
        unit.emit(activated, subject=user.id)


async def deactivate(
    uow: UnitOfWork, practitioner_id: str, now: datetime, token_lifetime: timedelta
) -> list[str]:
    """The user ids whose sessions ended (the practitioner and their assistants)."""
    async with uow() as unit:
        user = await repo.user_by_id(unit.session, practitioner_id)
        if user is None or user.role != "practitioner":
            raise AccountError("practitioner_id: no such practitioner")
        if user.status != "active":
            raise AccountError(f"practitioner_id: the account is {user.status}, not active")
        await unit.session.execute(update(users).where(users.c.id == user.id).values(status="inactive"))
        query = select(users.c.id).where(users.c.practitioner_id == user.id)
        assistants = update(users).where(users.c.practitioner_id == user.id).values(status="inactive")
        await unit.session.execute(assistants)
        ended = [user.id, *(await unit.session.execute(query)).scalars()]
        for user_id in ended:
            await end_everything(unit, user_id, now, now + token_lifetime, "deactivated")
        unit.emit(PractitionerDeactivatedV1(practitioner_id=user.id, deactivated_at=now), subject=user.id)
    return ended
