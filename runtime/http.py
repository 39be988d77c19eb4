"""HTTP conventions shared by every service: errors that name the field and the reason (never echoing
the input), documented on every operation of the OpenAPI document in one shape; a request-size limit;
and the operational endpoints (/health, /metrics, /asyncapi)."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI, get_asyncapi_html
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024
# Paging: how many rows a list skips. Bounded, so that no database is asked for an offset past its
# integers (SQLite's are 64-bit: a larger one was a 500).
MAX_OFFSET = 1_000_000
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
# Paging: how many rows a page holds at most (100 unless asked).
MAX_PAGE = 500
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
# What FastAPI answers (400) when a JSON body is not even text: answered like any other bad body instead.
_UNPARSABLE_BODY = "There was an error parsing the body"


def field_errors(error: RequestValidationError) -> list[dict[str, str]]:
    return [{"field": ".".join(str(p) for p in e["loc"]), "reason": str(e["msg"])} for e in error.errors()]


async def on_validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return JSONResponse({"errors": field_errors(error)}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


async def on_http_error(request: Request, error: Exception) -> Response:
    """FastAPI's own 400 for a body that is not UTF-8 becomes the 422 that names the body, as for any
    other body that is not JSON; every other HTTP error is answered as FastAPI does."""
    assert isinstance(error, HTTPException)
    if error.status_code == status.HTTP_400_BAD_REQUEST and error.detail == _UNPARSABLE_BODY:
        body = {"errors": [{"field": "body", "reason": "not JSON text in UTF-8"}]}
        return JSONResponse(body, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    return await http_exception_handler(request, error)


FIELD_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["field", "reason"],
    "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
}
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "description": (
        "Every 4xx answer: `errors` names each field with the reason (request validation, refusals), "
        "`detail` says the same as 'field: reason' text or as an object with `errors` (and the refusal "
        "`code` where there is one). The input is never echoed."
    ),
    "type": "object",
    "properties": {
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
        "detail": {
            "anyOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "required": ["errors"],
                    "properties": {
                        "code": {"type": "string"},
                        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
                    },
                },
            ]
        },
        "code": {"type": "string"},
        "reason": {"type": "string"},
        "line": {"type": ["integer", "null"]},
    },
    "anyOf": [{"required": ["errors"]}, {"required": ["detail"]}],
}
_ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def declared(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The refusals a route answers besides those every route of its kind does (see `document_errors`),
    for its `responses=`: `responses=declared(404, 409)`."""
    return {code: {"description": HTTPStatus(code).phrase} for code in codes}


def document_errors(app: FastAPI) -> None:
    """Make the OpenAPI document list every error an operation answers, all with the `Error` schema:
    422 (bad parameters or body, in this kit's shape rather than FastAPI's) where there is input, 413
    where there is a body, 401 where a token is required, 403 where roles are (its security
    requirement names them), and whatever the route declares itself (`declared`)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _add_errors(generate())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_errors(document: dict[str, Any]) -> None:
    for path in document.get("paths", {}).values():
        for operation in path.values():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            security = operation.get("security", [])
            codes = [422] if operation.get("parameters") or "requestBody" in operation else []
            codes += [413] if "requestBody" in operation else []
            codes += [401] if security else []
            codes += [403] if any(roles for requirement in security for roles in requirement.values()) else []
            for code in codes:
                responses.setdefault(str(code), {"description": HTTPStatus(code).phrase})
            for status_code, response in responses.items():
                if status_code.startswith("4"):
                    response["content"] = _ERROR_CONTENT
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    schemas["FieldError"] = FIELD_ERROR_SCHEMA
    schemas["Error"] = ERROR_SCHEMA


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
