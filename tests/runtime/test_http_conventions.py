"""The kit's HTTP conventions on a bare app: every error an operation answers is in its OpenAPI entry
with the one error schema, and a body that is not even text is refused naming the body."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from runtime.http import Offset, declared, document_errors, on_http_error, on_validation_error
from runtime.security import Actor, CurrentActor, Role, require


class Body(BaseModel):
    name: str


def app() -> FastAPI:
    application = FastAPI()
    application.add_exception_handler(RequestValidationError, on_validation_error)
    application.add_exception_handler(HTTPException, on_http_error)

    @application.get("/public")
    def public() -> dict[str, str]:
        return {}

    @application.post("/names")
    def names(body: Body) -> dict[str, str]:
        return {"name": body.name}

    @application.get("/mine", responses=declared(404))
    def mine(_actor: CurrentActor, offset: Offset = 0) -> dict[str, str]:
        return {}

    @application.post("/operators")
    def operators(body: Body, _actor: Annotated[Actor, require(Role.OPERATOR)]) -> dict[str, str]:
        return {}

    document_errors(application)
    return application


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://kit")


async def test_each_operation_declares_the_errors_it_answers_with_the_error_schema() -> None:
    async with client() as http:
        document = (await http.get("/openapi.json")).json()
    responses = {
        path: sorted(document["paths"][path][method]["responses"])
        for path, method in (("/public", "get"), ("/mine", "get"), ("/operators", "post"))
    }
    assert responses == {
        "/public": ["200"],
        "/mine": ["200", "401", "404", "422"],
        "/operators": ["200", "401", "403", "413", "422"],
    }
    operators = document["paths"]["/operators"]["post"]
    assert operators["security"] == [{"HTTPBearer": ["operator"]}]
    for code in ("401", "403", "413", "422"):
        schema = operators["responses"][code]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert {"Error", "FieldError"} <= set(document["components"]["schemas"])


async def test_a_body_that_is_not_utf8_is_refused_naming_the_body() -> None:
    json = {"content-type": "application/json"}
    async with client() as http:
        answer = await http.post("/names", content=b'{"name": "\xc3\x28"}', headers=json)
        fine = await http.post("/names", content=b'{"name": "ok"}', headers=json)
        unknown = await http.get("/nowhere")
    assert answer.status_code == 422  # was FastAPI's 400 "There was an error parsing the body"
    assert answer.json() == {"errors": [{"field": "body", "reason": "not JSON text in UTF-8"}]}
    assert fine.json() == {"name": "ok"}
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Not Found"})  # as FastAPI answers
