"""Login, logout and the public key other services verify tokens with."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import update

from runtime.security import CurrentActor
from runtime.service import RuntimeDep
from services.auth.adapters.orm import sessions
from services.auth.service_layer.login import LoginFailedError, complete_login, start_login

router = APIRouter(prefix="/auth", tags=["auth"])
FAILED = "login: identifier, password or code incorrect"


class PasswordStep(BaseModel):
    login: Annotated[str, Field(min_length=1, max_length=120)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class PendingOut(BaseModel):
    mfa_token: str
    next_step: str = "totp"


class TotpStep(BaseModel):
    mfa_token: Annotated[str, Field(min_length=1, max_length=200)]
    code: Annotated[str, Field(min_length=1, max_length=12)]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


@router.post("/login", response_model=PendingOut)
async def login(body: PasswordStep, runtime: RuntimeDep, response: Response) -> PendingOut:
    response.headers["Cache-Control"] = "no-store"
    try:
        async with runtime.uow() as unit:
            handle = await start_login(unit, body.login, body.password, datetime.now(UTC))
    except LoginFailedError:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, FAILED) from None
    return PendingOut(mfa_token=handle)


@router.post("/login/totp", response_model=TokenOut)
async def login_totp(body: TotpStep, runtime: RuntimeDep, response: Response) -> TokenOut:
    response.headers["Cache-Control"] = "no-store"
    lifetime = runtime.extras["token_lifetime"]
    try:
        async with runtime.uow() as unit:
            token = await complete_login(
                unit, body.mfa_token, body.code, datetime.now(UTC), runtime.extras["private_key"], lifetime
            )
    except LoginFailedError:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, FAILED) from None
    return TokenOut(access_token=token, expires_in=lifetime)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(actor: CurrentActor, runtime: RuntimeDep) -> None:
    async with runtime.uow() as unit:
        await unit.session.execute(
            update(sessions).where(sessions.c.id == actor.session_id).values(ended_at=datetime.now(UTC))
        )
    runtime.verifier.revocations.revoke_session(actor.session_id, actor.expires_at)


@router.get("/keys", response_class=Response)
async def public_key(runtime: RuntimeDep) -> Response:
    return Response(runtime.settings.resolved_auth_public_key(), media_type="application/x-pem-file")
