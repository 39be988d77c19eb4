"""Filling in a form (stored, announced on fse.forms for the back office), reading it back, and the
employer's copy of a sick-leave prescription. The medical part is for the medical adviser only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts.forms import (
    EtmFormV1,
    EtmRequestedV1,
    FormPatient,
    InvalidityAdmissionRequestedV1,
    InvalidityFormV1,
    SickLeaveFormV1,
    SickLeavePrescribedV1,
    SickLeaveWork,
)
from runtime.messaging.uow import Unit
from runtime.security import Actor, Role
from services.claims.adapters import forms, pdf
from services.claims.domain.forms import Form, employer_certificate, form_digest, new_form_reference
from services.claims.service_layer.errors import RefusedError
from services.claims.service_layer.intake import acting_for


class FormRefusedError(RefusedError):
    pass


def _event(
    form: Form, **attributes: Any
) -> SickLeavePrescribedV1 | EtmRequestedV1 | InvalidityAdmissionRequestedV1:
    if isinstance(form, SickLeaveFormV1):
        return SickLeavePrescribedV1(form=form, **attributes)
    if isinstance(form, EtmFormV1):
        return EtmRequestedV1(form=form, **attributes)
    assert isinstance(form, InvalidityFormV1)
    return InvalidityAdmissionRequestedV1(form=form, **attributes)


async def submit_form(unit: Unit, actor: Actor, form: Form, now: datetime) -> Any:
    """Store and announce a form; the same submission id gives back the same form, never two."""
    practitioner_id = acting_for(actor)
    existing = await forms.by_submission(unit.session, practitioner_id, form.submission_id)
    if existing is not None:
        if existing.digest != form_digest(form):
            raise FormRefusedError(
                "SUBMISSION_ID_REUSED", "submission_id: already used for a different form", 409
            )
        return existing
    reference = new_form_reference(now)
    await forms.add_form(unit.session, reference, form, practitioner_id, actor.user_id, now)
    event = _event(
        form, reference=reference, practitioner_id=practitioner_id, entered_by=actor.user_id, created_at=now
    )
    unit.emit(event, subject=reference)
    return await forms.by_submission(unit.session, practitioner_id, form.submission_id)


def _owned_by(actor: Actor, form: Any) -> None:
    """A practitioner (or assistant) reads the forms they filled in; the medical adviser reads any."""
    if actor.role is Role.MEDICAL_ADVISER:
        return
    if not actor.practitioner_id or form.practitioner_id != actor.practitioner_id:
        raise FormRefusedError("NOT_FOUND", "reference: no such form for this practitioner", 404)


async def read_form(unit: Unit, actor: Actor, reference: str, *, medical: bool = False) -> Any:
    """The medical part is decrypted only for the medical adviser; anyone else is refused first."""
    if medical and actor.role is not Role.MEDICAL_ADVISER:
        raise FormRefusedError("FORBIDDEN", "role: the medical part is for the medical adviser only", 403)
    form = await forms.get_form(unit.session, reference, medical=medical)
    if form is None:
        raise FormRefusedError("NOT_FOUND", "reference: no such form", 404)
    _owned_by(actor, form)
    return form


def employer_pdf(form: Any) -> bytes:
    if form.kind != "sick-leave":
        raise FormRefusedError(
            "NOT_SICK_LEAVE", "reference: only a sick-leave prescription has an employer copy", 409
        )
    patient = FormPatient.model_validate(form.patient)
    work = SickLeaveWork.model_validate(form.administrative["work"])
    title, paragraphs = employer_certificate(form.reference, patient, work, form.practitioner_id)
    return pdf.render(title, paragraphs)
