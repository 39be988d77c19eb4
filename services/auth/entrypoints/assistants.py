"""A practitioner's assistants: the enrolment QR code for the assistant's authenticator, adding with
its first code, listing and revoking. Only a practitioner (never an assistant) reaches these."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, Field, StringConstraints

from runtime.http import declared
from runtime.security import Actor, Role, require
from runtime.service import RuntimeDep
from services.auth.adapters.qr import render
from services.auth.domain.passwords import PasswordPolicyError
from services.auth.entrypoints.common import no_store, now, refuse
from services.auth.service_layer import assistants, enrolment

router = APIRouter(prefix="/auth/assistants", tags=["assistants"])
Practitioner = Annotated[Actor, require(Role.PRACTITIONER)]
Name = Annotated[str, Field(min_length=1, max_length=100)]


class AssistantEnrolmentOut(BaseModel):
    enrolment_id: str
    otpauth_uri: str
    qr_png_base64: str
    qr_svg: str


class AssistantIn(BaseModel):
    enrolment_id: Annotated[str, Field(min_length=1, max_length=64)]
    code: Annotated[str, Field(min_length=1, max_length=12)]
    login: Annotated[str, StringConstraints(pattern=r"^[a-z0-9._-]{3,60}$")]
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    last_name: Name
    first_name: Name
    start_date: date
    end_date: date | None = None


@router.post("/enrolment", response_model=AssistantEnrolmentOut)
async def start_enrolment(
    actor: Practitioner, runtime: RuntimeDep, response: Response
) -> AssistantEnrolmentOut:
    no_store(response)
    try:
        enrolment_id, uri = await enrolment.start_for_assistant(runtime.uow, actor, now())
    except enrolment.EnrolmentError as error:
        refuse(error, status.HTTP_403_FORBIDDEN)
    png, svg = render(uri)
    return AssistantEnrolmentOut(enrolment_id=enrolment_id, otpauth_uri=uri, qr_png_base64=png, qr_svg=svg)


@router.post("", status_code=status.HTTP_201_CREATED)
async def add(body: AssistantIn, actor: Practitioner, runtime: RuntimeDep) -> dict[str, str]:
    try:
        assistant_id = await assistants.add(
            runtime.uow, actor, assistants.NewAssistant(**body.model_dump()), now()
        )
    except (enrolment.EnrolmentError, PasswordPolicyError) as error:
        refuse(error)
    return {"assistant_id": assistant_id}


@router.get("")
async def list_assistants(actor: Practitioner, runtime: RuntimeDep) -> list[dict[str, Any]]:
    keys = ("id", "login", "last_name", "first_name", "valid_from", "valid_until", "status")
    return [{key: getattr(row, key) for key in keys} for row in await assistants.list_for(runtime.uow, actor)]


@router.delete("/{assistant_id}", status_code=status.HTTP_204_NO_CONTENT, responses=declared(404))
async def revoke(assistant_id: str, actor: Practitioner, runtime: RuntimeDep) -> None:
    at = now()
    lifetime = runtime.settings.session_policy().access_token  # type: ignore[attr-defined]
    try:
        await assistants.revoke(runtime.uow, actor, assistant_id, at, lifetime)
    except LookupError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from None
    runtime.verifier.revocations.revoke_user(assistant_id, int(at.timestamp()))
