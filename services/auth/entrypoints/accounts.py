"""Practitioner applications and their activation by fund operators; password change and reset."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, EmailStr, Field, StringConstraints

from contracts.common import Profession
from runtime.http import Limit, Offset, declared
from runtime.security import Actor, CurrentActor, Role, require
from runtime.service import RuntimeDep
from services.auth.domain.identifiers import IdentifierError
from services.auth.domain.passwords import PasswordPolicyError
from services.auth.entrypoints.common import failed, no_store, now, refuse
from services.auth.service_layer import accounts, passwords
from services.auth.service_layer.login import LoginFailedError

router = APIRouter(prefix="/auth", tags=["accounts"])
Operator = Annotated[Actor, require(Role.OPERATOR)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Password = Annotated[str, Field(min_length=1, max_length=1024)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ]{6,20}$")]


class ApplicationIn(BaseModel):
    login: Annotated[str, StringConstraints(pattern=r"^[a-z0-9._-]{3,60}$")]
    password: Password
    profession: Profession
    last_name: Name
    first_name: Name
    email: EmailStr
    phones: Annotated[list[Phone], Field(min_length=1, max_length=3)]
    rpps: str | None = Field(None, max_length=11)
    adeli: str | None = Field(None, max_length=9)


class PasswordChangeIn(BaseModel):
    current_password: Password
    new_password: Password


class PasswordResetIn(BaseModel):
    login: Annotated[str, Field(min_length=1, max_length=120)]
    reset_code: Annotated[str, Field(min_length=1, max_length=40)]
    code: Annotated[str, Field(min_length=1, max_length=12)]
    new_password: Password


def _lifetime(runtime: Any) -> Any:
    return runtime.settings.session_policy().access_token


@router.post("/applications", status_code=status.HTTP_201_CREATED)
async def apply(body: ApplicationIn, runtime: RuntimeDep) -> dict[str, str]:
    try:
        practitioner_id = await accounts.apply(
            runtime.uow,
            accounts.Application(**body.model_dump(mode="json") | {"profession": body.profession}),
            now(),
        )
    except (IdentifierError, PasswordPolicyError, accounts.AccountError) as error:
        refuse(error)
    return {"practitioner_id": practitioner_id, "status": "pending"}


@router.get("/applications")
async def pending(
    _operator: Operator,
    runtime: RuntimeDep,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    """The applications waiting for activation, oldest first."""
    rows = await accounts.pending(runtime.sessions, limit, offset)
    keys = ("id", "login", "profession", "last_name", "first_name", "email", "phones", "rpps", "adeli")
    return [{key: getattr(row, key) for key in keys} for row in rows]


@router.post(
    "/practitioners/{practitioner_id}/activation",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=declared(409),
)
async def activate(practitioner_id: str, _operator: Operator, runtime: RuntimeDep) -> None:
    try:
        await accounts.activate(runtime.uow, practitioner_id, now())
    except accounts.AccountError as error:
        refuse(error, status.HTTP_409_CONFLICT)


@router.post(
    "/practitioners/{practitioner_id}/deactivation",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=declared(409),
)
async def deactivate(practitioner_id: str, _operator: Operator, runtime: RuntimeDep) -> None:
    at = now()
    try:
        ended = await accounts.deactivate(runtime.uow, practitioner_id, at, _lifetime(runtime))
    except accounts.AccountError as error:
        refuse(error, status.HTTP_409_CONFLICT)
    for user_id in ended:
        runtime.verifier.revocations.revoke_user(user_id, int(at.timestamp()))


@router.post("/users/{user_id}/reset-code", responses=declared(404))
async def reset_code(
    user_id: str, _operator: Operator, runtime: RuntimeDep, response: Response
) -> dict[str, str]:
    """A one-time code the operator hands over out of band; the user still needs their TOTP code."""
    no_store(response)
    code = await passwords.issue_reset_code(runtime.uow, user_id, _operator.user_id, now())
    if code is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "user_id: no account with an active second factor")
    return {"reset_code": code, "valid_for": "24h"}


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(body: PasswordChangeIn, actor: CurrentActor, runtime: RuntimeDep) -> None:
    try:
        await passwords.change(
            runtime.uow, actor, body.current_password, body.new_password, now(), _lifetime(runtime)
        )
    except PasswordPolicyError as error:
        refuse(error)
    except LoginFailedError:
        failed()


@router.post("/password/reset", status_code=status.HTTP_204_NO_CONTENT, responses=declared(401))
async def reset_password(body: PasswordResetIn, runtime: RuntimeDep) -> None:
    at = now()
    try:
        user_id = await passwords.reset(
            runtime.uow, body.login, body.reset_code, body.code, body.new_password, at, _lifetime(runtime)
        )
    except PasswordPolicyError as error:
        refuse(error)
    except LoginFailedError:
        failed()
    runtime.verifier.revocations.revoke_user(user_id, int(at.timestamp()))
