"""Per practitioner over HTTP: favourite acts, the basket, named pre-coded FSEs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import BaseModel, Field, StringConstraints

from contracts.common import ActLine
from runtime.http import declared
from runtime.service import RuntimeDep
from services.tariff.entrypoints.deps import PractitionerId
from services.tariff.service_layer.practice import Acts, CodedAct, Practice, PracticeError

router = APIRouter(prefix="/tariff", tags=["practice"])


async def get_practice(runtime: RuntimeDep, practitioner_id: PractitionerId) -> AsyncIterator[Practice]:
    try:
        yield Practice(runtime.uow, practitioner_id)
    except PracticeError as error:
        raise HTTPException(error.status, str(error)) from None


PracticeDep = Annotated[Practice, Depends(get_practice)]


class FavouriteIn(BaseModel):
    act: CodedAct


class BasketIn(BaseModel):
    acts: Acts


class TemplateIn(BaseModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
    acts: Annotated[list[CodedAct], Field(min_length=1, max_length=50)]


class UseIn(BaseModel):
    date_of_care: date


@router.get("/favourites", responses=declared(403))
async def list_favourites(practice: PracticeDep) -> list[dict[str, Any]]:
    return await practice.favourites()


@router.post("/favourites", status_code=status.HTTP_201_CREATED, responses=declared(403, 409))
async def add_favourite(body: FavouriteIn, practice: PracticeDep) -> dict[str, Any]:
    return {"id": await practice.add_favourite(body.act), "act": body.act}


@router.delete(
    "/favourites/{identifier}", status_code=status.HTTP_204_NO_CONTENT, responses=declared(403, 404)
)
async def delete_favourite(identifier: str, practice: PracticeDep) -> Response:
    await practice.delete_favourite(identifier)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/basket", responses=declared(403))
async def get_basket(practice: PracticeDep) -> dict[str, Any]:
    return {"acts": await practice.basket()}


@router.put("/basket", responses=declared(403))
async def set_basket(body: BasketIn, practice: PracticeDep) -> dict[str, Any]:
    await practice.set_basket(body.acts)
    return {"acts": body.acts}


@router.delete("/basket", status_code=status.HTTP_204_NO_CONTENT, responses=declared(403))
async def empty_basket(practice: PracticeDep) -> Response:
    await practice.set_basket([])
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/templates", responses=declared(403))
async def list_templates(practice: PracticeDep) -> list[dict[str, Any]]:
    return await practice.templates()


@router.post("/templates", status_code=status.HTTP_201_CREATED, responses=declared(403, 409))
async def add_template(body: TemplateIn, practice: PracticeDep) -> dict[str, Any]:
    return {"id": await practice.add_template(body.name, body.acts), "name": body.name, "acts": body.acts}


@router.get("/templates/{identifier}", responses=declared(403, 404))
async def get_template(identifier: str, practice: PracticeDep) -> dict[str, Any]:
    return await practice.template(identifier)


@router.post("/templates/{identifier}/use", responses=declared(403, 404))
async def use_template(identifier: str, body: UseIn, practice: PracticeDep) -> dict[str, list[ActLine]]:
    return {"acts": await practice.use_template(identifier, body.date_of_care)}


@router.delete(
    "/templates/{identifier}", status_code=status.HTTP_204_NO_CONTENT, responses=declared(403, 404)
)
async def delete_template(identifier: str, practice: PracticeDep) -> Response:
    await practice.delete_template(identifier)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
