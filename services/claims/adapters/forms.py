"""The forms' table: the patient, the administrative part and the medical part encrypted apart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.periodic import delete_oldest, oldest_before
from services.claims.adapters.orm import forms
from services.claims.domain.forms import Form, administrative_part, form_digest, kind_of

LISTED = (forms.c.reference, forms.c.kind, forms.c.created_at, forms.c.entered_by, forms.c.submission_id)


async def add_form(
    session: AsyncConnection, reference: str, form: Form, practitioner_id: str, entered_by: str, now: datetime
) -> None:
    await session.execute(
        forms.insert().values(
            reference=reference,
            kind=kind_of(form).value,
            practitioner_id=practitioner_id,
            entered_by=entered_by,
            submission_id=form.submission_id,
            created_at=now,
            patient=form.patient.model_dump(mode="json"),
            administrative=administrative_part(form),
            medical=form.medical.model_dump(mode="json"),
            digest=form_digest(form),
        )
    )


async def by_submission(session: AsyncConnection, practitioner_id: str, submission_id: str) -> Any:
    query = select(*LISTED, forms.c.digest).where(
        forms.c.practitioner_id == practitioner_id, forms.c.submission_id == submission_id
    )
    return (await session.execute(query)).one_or_none()


async def get_form(session: AsyncConnection, reference: str, *, medical: bool = False) -> Any:
    """The medical part is read (and decrypted) only when asked for."""
    columns = [*LISTED, forms.c.practitioner_id, forms.c.patient, forms.c.administrative]
    if medical:
        columns.append(forms.c.medical)
    return (await session.execute(select(*columns).where(forms.c.reference == reference))).one_or_none()


async def forms_of(
    session: AsyncConnection, practitioner_id: str, kind: str | None, limit: int, offset: int
) -> Sequence[Any]:
    query = select(*LISTED).where(forms.c.practitioner_id == practitioner_id)
    if kind:
        query = query.where(forms.c.kind == kind)
    query = query.order_by(forms.c.created_at.desc()).limit(limit).offset(offset)
    return (await session.execute(query)).all()


OLDEST_FORMS = oldest_before(forms.c.reference, forms.c.created_at)


async def purge_forms_before(session: AsyncConnection, cutoff: datetime, limit: int) -> int:
    """The oldest forms sent before `cutoff`, up to `limit`, deleted; returns how many."""
    return len(await delete_oldest(session, OLDEST_FORMS, forms.c.reference, cutoff, limit))
