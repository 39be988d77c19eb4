"""What the auth routes share: the issuer, the clock, and errors that name the field and the reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NoReturn

from fastapi import HTTPException, Response, status

from runtime.service import Runtime
from services.auth.service_layer.tokens import Issuer

FAILED = "login: identifier, password or code incorrect"


def issuer(runtime: Runtime) -> Issuer:
    return runtime.extras["issuer"]  # type: ignore[no-any-return]


def now() -> datetime:
    return datetime.now(UTC)


def no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"


def refuse(error: Exception, code: int = status.HTTP_422_UNPROCESSABLE_CONTENT) -> NoReturn:
    field, _, reason = str(error).partition(": ")
    raise HTTPException(code, {"errors": [{"field": field, "reason": reason or field}]}) from None


def failed() -> NoReturn:
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, FAILED) from None
