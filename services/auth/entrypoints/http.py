"""Logging in (password, then TOTP or first enrolment), refreshing, logging out, who am I, and the
public key other services verify tokens with."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from runtime.http import declared
from runtime.security import CurrentActor
from runtime.service import RuntimeDep
from services.auth.adapters.qr import render
from services.auth.entrypoints.common import failed, issuer, no_store, now
from services.auth.service_layer import enrolment, sessions
from services.auth.service_layer.login import LoginFailedError, complete_login, start_login
from services.auth.service_layer.tokens import Tokens

router = APIRouter(prefix="/auth", tags=["auth"])
Handle = Annotated[str, Field(min_length=1, max_length=200)]


class PasswordStep(BaseModel):
    login: Annotated[str, Field(min_length=1, max_length=120)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class PendingOut(BaseModel):
    mfa_token: str
    next_step: str


class TotpStep(BaseModel):
    mfa_token: Handle
    code: Annotated[str, Field(min_length=1, max_length=12)]


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class EnrolmentIn(BaseModel):
    mfa_token: Handle


class EnrolmentOut(BaseModel):
    otpauth_uri: str
    qr_png_base64: str
    qr_svg: str


class RefreshIn(BaseModel):
    refresh_token: Handle


def _out(tokens: Tokens) -> TokenOut:
    return TokenOut(
        access_token=tokens.access_token, refresh_token=tokens.refresh_token, expires_in=tokens.expires_in
    )


@router.post("/login", response_model=PendingOut, responses=declared(401))
async def login(body: PasswordStep, runtime: RuntimeDep, response: Response) -> PendingOut:
    no_store(response)
    try:
        handle, next_step = await start_login(runtime.uow, body.login, body.password, now())
    except LoginFailedError:
        failed()
    return PendingOut(mfa_token=handle, next_step=next_step)


@router.post("/enrolment", response_model=EnrolmentOut, responses=declared(401))
async def enrol(body: EnrolmentIn, runtime: RuntimeDep, response: Response) -> EnrolmentOut:
    """Shown once: the secret cannot be read again (a new call replaces an unconfirmed one)."""
    no_store(response)
    try:
        uri = await enrolment.enrol_own(runtime.uow, body.mfa_token, now())
    except LoginFailedError:
        failed()
    png, svg = render(uri)
    return EnrolmentOut(otpauth_uri=uri, qr_png_base64=png, qr_svg=svg)


@router.post("/login/totp", response_model=TokenOut, responses=declared(401))
async def login_totp(body: TotpStep, runtime: RuntimeDep, response: Response) -> TokenOut:
    no_store(response)
    try:
        return _out(await complete_login(runtime.uow, body.mfa_token, body.code, now(), issuer(runtime)))
    except LoginFailedError:
        failed()


@router.post("/refresh", response_model=TokenOut, responses=declared(401))
async def refresh(body: RefreshIn, runtime: RuntimeDep, response: Response) -> TokenOut:
    no_store(response)
    try:
        return _out(await sessions.refresh(runtime.uow, body.refresh_token, now(), issuer(runtime)))
    except LoginFailedError:
        failed()


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(actor: CurrentActor, runtime: RuntimeDep) -> None:
    await sessions.logout(runtime.uow, actor, now())
    runtime.verifier.revocations.revoke_session(actor.session_id, actor.expires_at)


@router.get("/me")
async def me(actor: CurrentActor) -> dict[str, str | None]:
    return {"user_id": actor.user_id, "role": actor.role.value, "practitioner_id": actor.practitioner_id}


@router.get("/keys", response_class=Response)
async def public_key(runtime: RuntimeDep) -> Response:
    return Response(runtime.settings.resolved_auth_public_key(), media_type="application/x-pem-file")
