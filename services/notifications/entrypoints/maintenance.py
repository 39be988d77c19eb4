"""Maintenance windows: operators schedule, change and cancel them; anyone (the portal's banner) reads
the service status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from runtime.http import declared
from runtime.security import Actor, Role, require
from runtime.service import RuntimeDep
from services.notifications.adapters.windows import WindowRepository
from services.notifications.domain.maintenance import (
    CLOSES,
    MONACO,
    OPENS,
    Window,
    WindowRefusedError,
    open_now,
)
from services.notifications.service_layer import maintenance

router = APIRouter(prefix="/notifications", tags=["maintenance"])
Operator = Annotated[Actor, require(Role.OPERATOR)]


class WindowIn(BaseModel):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: Annotated[str, Field(max_length=300)] = ""


class WindowOut(BaseModel):
    window_id: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    cancelled: bool


class ServiceHours(BaseModel):
    opens: str = OPENS.strftime("%H:%M")
    closes: str = CLOSES.strftime("%H:%M")
    days: str = "every day"
    time_zone: str = str(MONACO)


class StatusOut(BaseModel):
    open_now: bool
    service_hours: ServiceHours
    current: list[WindowOut]
    planned: list[WindowOut]


def _out(window: Window) -> WindowOut:
    return WindowOut.model_validate(window, from_attributes=True)


def _refused(error: Exception) -> JSONResponse:
    if isinstance(error, maintenance.WindowNotFoundError):
        field, reason, code = "window_id", "no such maintenance window", status.HTTP_404_NOT_FOUND
    else:
        assert isinstance(error, WindowRefusedError)
        field, reason = error.field, error.reason
        code = status.HTTP_409_CONFLICT if field == "window_id" else status.HTTP_422_UNPROCESSABLE_CONTENT
        field = field if field in {"window_id", "body"} else f"body.{field}"
    return JSONResponse({"errors": [{"field": field, "reason": reason}]}, status_code=code)


@router.post("/maintenance", status_code=status.HTTP_201_CREATED, response_model=WindowOut)
async def schedule(body: WindowIn, actor: Operator, runtime: RuntimeDep) -> WindowOut | JSONResponse:
    """Plan a window at least 48 hours ahead; every active professional is e-mailed."""
    try:
        async with runtime.uow() as unit:
            window = await maintenance.schedule(
                unit, actor.user_id, body.starts_at, body.ends_at, body.reason, datetime.now(UTC)
            )
    except WindowRefusedError as error:
        return _refused(error)
    return _out(window)


@router.put("/maintenance/{window_id}", response_model=WindowOut, responses=declared(404, 409))
async def change(
    window_id: str, body: WindowIn, actor: Operator, runtime: RuntimeDep
) -> WindowOut | JSONResponse:
    try:
        async with runtime.uow() as unit:
            window = await maintenance.change(
                unit, window_id, actor.user_id, body.starts_at, body.ends_at, body.reason, datetime.now(UTC)
            )
    except (WindowRefusedError, maintenance.WindowNotFoundError) as error:
        return _refused(error)
    return _out(window)


@router.delete("/maintenance/{window_id}", response_model=WindowOut, responses=declared(404, 409))
async def cancel(window_id: str, actor: Operator, runtime: RuntimeDep) -> WindowOut | JSONResponse:
    try:
        async with runtime.uow() as unit:
            window = await maintenance.cancel(unit, window_id, actor.user_id, datetime.now(UTC))
    except (WindowRefusedError, maintenance.WindowNotFoundError) as error:
        return _refused(error)
    return _out(window)


@router.get("/status", response_model=StatusOut)
async def service_status(runtime: RuntimeDep) -> StatusOut:
    """Public: the service hours and the current and planned maintenance windows (the portal's banner)."""
    now = datetime.now(UTC)
    async with runtime.sessions() as session:
        windows = await WindowRepository(session).not_over(now)
    return StatusOut(
        open_now=open_now(now) and not any(w.current(now) for w in windows),
        service_hours=ServiceHours(),
        current=[_out(w) for w in windows if w.current(now)],
        planned=[_out(w) for w in windows if w.planned(now)],
    )
