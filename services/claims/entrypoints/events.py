"""Server-sent events: a front end is told of each status change without polling.

`GET /claims/events` follows every claim of the practitioner; `GET /claims/{reference}/events` one
claim, ending after its final status. Each event's id is the change's sequence number, so a client
that reconnects with `Last-Event-ID` (EventSource does) misses nothing."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, status
from fastapi.responses import StreamingResponse

from runtime.http import declared
from runtime.security import CurrentActor
from runtime.service import Runtime, RuntimeDep
from services.claims.adapters.changes import ChangeSignal, changes_after, latest_change
from services.claims.adapters.repository import ClaimRepository
from services.claims.domain.model import Status

router = APIRouter(prefix="/claims", tags=["claim events"])
CHECK_SECONDS = 2.0
KEEPALIVE_SECONDS = 15.0


async def _stream(
    runtime: Runtime, practitioner_id: str, after: int, reference: str | None
) -> AsyncIterator[str]:
    signal = runtime.extras.setdefault("changes", ChangeSignal())
    yield "retry: 2000\n\n"
    quiet_since = time.monotonic()
    while True:
        async with runtime.sessions() as session:
            rows = await changes_after(session, practitioner_id, after, reference)
        for row in rows:
            after = row.id
            data = {
                "reference": row.reference,
                "status": row.status,
                "reason_code": row.reason_code,
                "at": row.at.isoformat(),
            }
            yield f"id: {row.id}\nevent: status\ndata: {json.dumps(data)}\n\n"
            if reference is not None and Status(row.status).final:
                return
        if rows:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
            quiet_since = time.monotonic()
            yield ": keep-alive\n\n"
        await signal.wait(CHECK_SECONDS)


def _response(events: AsyncIterator[str]) -> StreamingResponse:
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


def _practitioner(actor: CurrentActor) -> str:
    if not actor.practitioner_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "role: no practitioner for this session")
    return actor.practitioner_id


LastEventId = Annotated[int | None, Header(alias="Last-Event-ID", ge=0)]


@router.get("/events", responses=declared(403))
async def follow_claims(
    actor: CurrentActor, runtime: RuntimeDep, last_event_id: LastEventId = None
) -> StreamingResponse:
    """Changes from now on (or after Last-Event-ID when reconnecting)."""
    practitioner_id = _practitioner(actor)
    if last_event_id is None:
        async with runtime.sessions() as session:
            last_event_id = await latest_change(session)
    return _response(_stream(runtime, practitioner_id, last_event_id, None))


@router.get("/{reference}/events", responses=declared(403, 404))
async def follow_claim(
    reference: str, actor: CurrentActor, runtime: RuntimeDep, last_event_id: LastEventId = None
) -> StreamingResponse:
    """The claim's changes from its receipt (or after Last-Event-ID), ending after the final one."""
    practitioner_id = _practitioner(actor)
    async with runtime.sessions() as session:
        claim = await ClaimRepository(session).get(reference)
    if claim is None or claim.practitioner_id != practitioner_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "reference: no such FSE for this practitioner")
    return _response(_stream(runtime, practitioner_id, last_event_id or 0, reference))
