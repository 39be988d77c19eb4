"""TOTP enrolment. A user's own: after the password step, a fresh secret (replacing any unconfirmed
one) is shown once and becomes active with the first valid code (login.complete_login). An
assistant's: the practitioner's full session gets the assistant's secret to show as a QR code, and the
assistant's first code confirms it (assistants.add)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, update

from runtime.messaging.uow import UnitOfWork
from runtime.security import Actor
from services.auth.adapters import repository as repo
from services.auth.adapters.orm import enrolments, users
from services.auth.domain.totp import new_secret, provisioning_uri
from services.auth.service_layer.login import LoginFailedError

ASSISTANT_ENROLMENT_LIFETIME = timedelta(minutes=15)


class EnrolmentError(ValueError):
    """Names the field and the reason."""


async def enrol_own(uow: UnitOfWork, handle: str, now: datetime) -> str:
    """The otpauth URI of a new secret for the user of a pending "enrol" session."""
    async with uow() as unit:
        pending = await repo.live_session(unit.session, handle, ("enrol",))
        user = await repo.user_by_id(unit.session, pending.user_id) if pending else None
        if user is None or user.totp_active:
            uri = None
        else:
            secret = new_secret()
            await unit.session.execute(update(users).where(users.c.id == user.id).values(totp_secret=secret))
            uri = provisioning_uri(secret, user.login)
    if uri is None:
        raise LoginFailedError
    return uri


async def start_for_assistant(uow: UnitOfWork, actor: Actor, now: datetime) -> tuple[str, str]:
    """(enrolment id, otpauth URI) for an assistant's authenticator, shown on the practitioner's screen."""
    async with uow() as unit:
        practitioner = await repo.user_by_id(unit.session, actor.user_id)
        if practitioner is None or not practitioner.totp_active or practitioner.status != "active":
            raise EnrolmentError("authorization: the practitioner's own MFA must be active")
        stale = enrolments.c.created_at < now - ASSISTANT_ENROLMENT_LIFETIME
        await unit.session.execute(delete(enrolments).where(enrolments.c.owner_id == actor.user_id, stale))
        enrolment_id, secret = uuid.uuid4().hex, new_secret()
        row = {"id": enrolment_id, "owner_id": actor.user_id, "totp_secret": secret, "created_at": now}
        await unit.session.execute(enrolments.insert().values(**row))
    return enrolment_id, provisioning_uri(secret, f"assistant-of-{practitioner.login}")
