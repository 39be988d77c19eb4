"""The three forms: fill in, list (per practitioner), read, the medical part (medical adviser only),
and the employer's PDF copy of a sick-leave prescription."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response
from pydantic import BaseModel

from contracts.forms import EtmFormV1, FormKind, InvalidityFormV1, SickLeaveFormV1
from runtime.http import Limit, Offset, declared
from runtime.security import CurrentActor
from runtime.service import RuntimeDep
from services.claims.adapters import clock
from services.claims.adapters.forms import forms_of
from services.claims.domain.forms import Form
from services.claims.service_layer import forms
from services.claims.service_layer.errors import RefusedError

router = APIRouter(prefix="/forms", tags=["forms"])


class FormOut(BaseModel):
    reference: str
    kind: FormKind
    created_at: datetime
    entered_by: str
    submission_id: str


class FormDetail(FormOut):
    patient: dict[str, Any]
    administrative: dict[str, Any]


def _refused(error: RefusedError) -> HTTPException:
    return HTTPException(
        error.status, {"code": error.code, "errors": [{"field": error.field, "reason": error.reason}]}
    )


async def _submit(form: Form, actor: CurrentActor, runtime: RuntimeDep) -> FormOut:
    try:
        async with runtime.uow() as unit:
            row = await forms.submit_form(unit, actor, form, clock.now(runtime))
    except RefusedError as error:
        raise _refused(error) from None
    return FormOut.model_validate(row, from_attributes=True)


@router.post(
    "/sick-leave", status_code=status.HTTP_201_CREATED, response_model=FormOut, responses=declared(403, 409)
)
async def prescribe_sick_leave(form: SickLeaveFormV1, actor: CurrentActor, runtime: RuntimeDep) -> FormOut:
    return await _submit(form, actor, runtime)


@router.post(
    "/etm", status_code=status.HTTP_201_CREATED, response_model=FormOut, responses=declared(403, 409)
)
async def request_etm(form: EtmFormV1, actor: CurrentActor, runtime: RuntimeDep) -> FormOut:
    return await _submit(form, actor, runtime)


@router.post(
    "/invalidity", status_code=status.HTTP_201_CREATED, response_model=FormOut, responses=declared(403, 409)
)
async def request_invalidity(form: InvalidityFormV1, actor: CurrentActor, runtime: RuntimeDep) -> FormOut:
    return await _submit(form, actor, runtime)


@router.get("", response_model=list[FormOut], responses=declared(403))
async def list_forms(
    actor: CurrentActor,
    runtime: RuntimeDep,
    kind: FormKind | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[FormOut]:
    if not actor.practitioner_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "role: no practitioner for this session")
    async with runtime.sessions() as session:
        rows = await forms_of(session, actor.practitioner_id, kind.value if kind else None, limit, offset)
    return [FormOut.model_validate(r, from_attributes=True) for r in rows]


async def _read(actor: CurrentActor, runtime: RuntimeDep, reference: str, *, medical: bool = False) -> Any:
    try:
        async with runtime.uow() as unit:
            return await forms.read_form(unit, actor, reference, medical=medical)
    except RefusedError as error:
        raise _refused(error) from None


@router.get("/{reference}", response_model=FormDetail, responses=declared(404))
async def read_form(reference: str, actor: CurrentActor, runtime: RuntimeDep) -> FormDetail:
    row = await _read(actor, runtime, reference)
    patient = {k: v for k, v in row.patient.items() if k != "code_fse"}
    return FormDetail(
        **FormOut.model_validate(row, from_attributes=True).model_dump(),
        patient=patient,
        administrative=row.administrative,
    )


@router.get("/{reference}/medical", responses=declared(403, 404))
async def read_medical_part(reference: str, actor: CurrentActor, runtime: RuntimeDep) -> dict[str, Any]:
    """The confidential medical part: the medical adviser role only."""
    row = await _read(actor, runtime, reference, medical=True)
    return {"reference": row.reference, "kind": row.kind, "medical": row.medical}


@router.get("/{reference}/employer.pdf", responses=declared(404, 409))
async def employer_copy(reference: str, actor: CurrentActor, runtime: RuntimeDep) -> Response:
    """The employer's copy of a sick-leave prescription: dates and exits, no medical information."""
    row = await _read(actor, runtime, reference)
    try:
        body = forms.employer_pdf(row)
    except RefusedError as error:
        raise _refused(error) from None
    headers = {"Content-Disposition": f'attachment; filename="arret-{reference}-employeur.pdf"'}
    return Response(body, media_type="application/pdf", headers=headers)
