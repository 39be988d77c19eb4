"""HTTP conventions shared by every service: errors that name the field and the reason (never echoing
the input), a request-size limit, and the operational endpoints (/health, /metrics, /asyncapi)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI, get_asyncapi_html
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024


def field_errors(error: RequestValidationError) -> list[dict[str, str]]:
    return [{"field": ".".join(str(p) for p in e["loc"]), "reason": str(e["msg"])} for e in error.errors()]


async def on_validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return JSONResponse({"errors": field_errors(error)}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


class BodyLimit:
    """Refuses bodies over `limit` bytes with 413, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise _TooLargeError
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLargeError:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"errors": [{"field": "body", "reason": f"larger than {self.limit} bytes"}]})
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})


class _TooLargeError(Exception):
    pass


def add_operational_routes(
    app: FastAPI, broker: KafkaBroker, registry: CollectorRegistry, title: str
) -> None:
    specification = AsyncAPI(broker, title=title, version="1")

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/asyncapi.json", include_in_schema=False)
    def asyncapi_json() -> dict[str, Any]:
        return specification.to_specification().to_jsonable()  # type: ignore[no-any-return]

    @app.get("/asyncapi", include_in_schema=False)
    def asyncapi_page() -> HTMLResponse:
        # try_it_out_path=None: no endpoint that publishes to the broker from the browser
        return HTMLResponse(get_asyncapi_html(specification.to_specification(), try_it_out_path=None))
