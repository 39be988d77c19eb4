"""A practitioner's assistants: added with the first code of the assistant's own authenticator, listed,
and revoked with immediate effect on live sessions (revocation event; the token never outlives the
last day of the delegation, and every refresh checks it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, select, update

from contracts.auth import AssistantAddedV1, AssistantRevokedV1, TotpEnrolledV1
from runtime.messaging.uow import UnitOfWork
from runtime.security import Actor
from services.auth.adapters import repository as repo
from services.auth.adapters.orm import enrolments, users
from services.auth.domain.passwords import check_policy, hash_password
from services.auth.domain.totp import matching_step
from services.auth.service_layer.audit import record
from services.auth.service_layer.enrolment import ASSISTANT_ENROLMENT_LIFETIME, EnrolmentError
from services.auth.service_layer.sessions import end_everything


@dataclass(frozen=True)
class NewAssistant:
    enrolment_id: str
    code: str
    login: str
    password: str
    last_name: str
    first_name: str
    start_date: date
    end_date: date | None = None


async def add(uow: UnitOfWork, actor: Actor, new: NewAssistant, now: datetime) -> str:
    if new.end_date is not None and new.end_date < new.start_date:
        raise EnrolmentError("end_date: before start_date")
    check_policy(new.password, (new.login, new.last_name, new.first_name))
    async with uow() as unit:
        query = select(enrolments).where(
            enrolments.c.id == new.enrolment_id, enrolments.c.owner_id == actor.user_id
        )
        enrolment = (await unit.session.execute(query)).one_or_none()
        if enrolment is None or now - enrolment.created_at > ASSISTANT_ENROLMENT_LIFETIME:
            raise EnrolmentError("enrolment_id: unknown or expired, show a new QR code")
        step = matching_step(enrolment.totp_secret, new.code, now, None)
        if step is None:
            raise EnrolmentError("code: not the current code of the authenticator just set up")
        if await repo.user_by_login(unit.session, new.login) is not None:
            raise EnrolmentError("login: already taken")
        assistant_id = f"ast-{uuid.uuid4().hex[:16]}"
        await unit.session.execute(
            users.insert().values(
                id=assistant_id,
                login=new.login,
                password_hash=hash_password(new.password),
                role="assistant",
                profession=actor.profession,
                practitioner_id=actor.user_id,
                status="active",
                totp_secret=enrolment.totp_secret,
                totp_active=True,
                totp_last_step=step,
                created_at=now,
                last_name=new.last_name,
                first_name=new.first_name,
                valid_from=new.start_date,
                valid_until=new.end_date,
            )
        )
        await unit.session.execute(delete(enrolments).where(enrolments.c.id == enrolment.id))
        added = AssistantAddedV1(
            practitioner_id=actor.user_id,
            assistant_id=assistant_id,
            start_date=new.start_date,
            end_date=new.end_date,
            at=now,
        )
        record(unit, added, subject=actor.user_id)
        record(unit, TotpEnrolledV1(user_id=assistant_id, at=now), subject=assistant_id)
    return assistant_id


async def list_for(uow: UnitOfWork, actor: Actor) -> list[Row[Any]]:
    async with uow() as unit:
        query = select(users).where(users.c.role == "assistant", users.c.practitioner_id == actor.user_id)
        return list((await unit.session.execute(query.order_by(users.c.created_at))).all())


async def revoke(
    uow: UnitOfWork, actor: Actor, assistant_id: str, now: datetime, lifetime: timedelta
) -> None:
    async with uow() as unit:
        assistant = await repo.user_by_id(unit.session, assistant_id)
        if assistant is None or assistant.role != "assistant" or assistant.practitioner_id != actor.user_id:
            raise LookupError("assistant_id: no such assistant of yours")
        if assistant.revoked_at is None:
            values = {"revoked_at": now, "status": "revoked"}
            await unit.session.execute(update(users).where(users.c.id == assistant.id).values(**values))
            await end_everything(unit, assistant.id, now, now + lifetime, "assistant revoked")
            revoked = AssistantRevokedV1(
                practitioner_id=actor.user_id, assistant_id=assistant.id, by=actor.user_id, at=now
            )
            record(unit, revoked, subject=actor.user_id)
