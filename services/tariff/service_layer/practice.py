"""A practitioner's coding aids: favourite acts, a basket of acts, named pre-coded FSEs. Everything is
owned by one practitioner (an assistant works on their practitioner's)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from contracts.common import ActLine, Frozen, Nomenclature
from runtime.messaging.uow import UnitOfWork
from services.tariff.adapters.practice_repository import PracticeRepository

MAX_FAVOURITES = 200


class PracticeError(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class CodedAct(Frozen):
    """An act as coded ahead of time: an ActLine without its date of care."""

    nomenclature: Nomenclature
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,9}$")]
    coefficient: Annotated[Decimal, Field(gt=0, le=1000, max_digits=7, decimal_places=2)] | None = None
    activity: Annotated[int, Field(ge=1, le=5)] | None = None
    phase: Annotated[int, Field(ge=0, le=9)] | None = None
    modifiers: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]$")]], Field(max_length=4)
    ] = Field(default_factory=list)
    majorations: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,9}$")]], Field(max_length=4)
    ] = Field(default_factory=list)

    def on(self, day: date) -> ActLine:
        return ActLine(date_of_care=day, **self.model_dump())


Acts = Annotated[list[CodedAct], Field(max_length=50)]


def _stored(acts: list[CodedAct]) -> list[dict[str, Any]]:
    return [act.model_dump(mode="json") for act in acts]


class Practice:
    def __init__(self, uow: UnitOfWork, practitioner_id: str) -> None:
        self._uow = uow
        self._practitioner_id = practitioner_id

    async def favourites(self) -> list[dict[str, Any]]:
        async with self._uow() as unit:
            return await PracticeRepository(unit.session, self._practitioner_id).favourites()

    async def add_favourite(self, act: CodedAct) -> str:
        async with self._uow() as unit:
            repository = PracticeRepository(unit.session, self._practitioner_id)
            if await repository.count_favourites() >= MAX_FAVOURITES:
                raise PracticeError(409, f"act: at most {MAX_FAVOURITES} favourite acts")
            return await repository.add_favourite(act.model_dump(mode="json"))

    async def delete_favourite(self, identifier: str) -> None:
        async with self._uow() as unit:
            if not await PracticeRepository(unit.session, self._practitioner_id).delete_favourite(identifier):
                raise PracticeError(404, "id: no such favourite act")

    async def basket(self) -> list[dict[str, Any]]:
        async with self._uow() as unit:
            return await PracticeRepository(unit.session, self._practitioner_id).basket()

    async def set_basket(self, acts: list[CodedAct]) -> None:
        async with self._uow() as unit:
            await PracticeRepository(unit.session, self._practitioner_id).set_basket(_stored(acts))

    async def templates(self) -> list[dict[str, Any]]:
        async with self._uow() as unit:
            return await PracticeRepository(unit.session, self._practitioner_id).templates()

    async def template(self, identifier: str) -> dict[str, Any]:
        async with self._uow() as unit:
            found = await PracticeRepository(unit.session, self._practitioner_id).template(identifier)
        if found is None:
            raise PracticeError(404, "id: no such pre-coded FSE")
        return found

    async def add_template(self, name: str, acts: list[CodedAct]) -> str:
        async with self._uow() as unit:
            repository = PracticeRepository(unit.session, self._practitioner_id)
            if any(t["name"] == name for t in await repository.templates()):
                raise PracticeError(409, "name: a pre-coded FSE already has this name")
            return await repository.add_template(name, _stored(acts))

    async def use_template(self, identifier: str, day: date) -> list[ActLine]:
        template = await self.template(identifier)
        return [CodedAct.model_validate(act).on(day) for act in template["acts"]]

    async def delete_template(self, identifier: str) -> None:
        async with self._uow() as unit:
            if not await PracticeRepository(unit.session, self._practitioner_id).delete_template(identifier):
                raise PracticeError(404, "id: no such pre-coded FSE")
