"""Typed dependencies of the tariff routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, status

from runtime.security import CurrentActor
from runtime.service import RuntimeDep
from services.tariff.service_layer.state import TariffState


async def get_state(runtime: RuntimeDep) -> TariffState:
    state: TariffState = runtime.extras["tariff"]
    return state


async def get_practitioner_id(actor: CurrentActor) -> str:
    """The practitioner whose data the actor may use (an assistant acts for their practitioner)."""
    if actor.practitioner_id is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "role: acts for no practitioner")
    return actor.practitioner_id


StateDep = Annotated[TariffState, Depends(get_state)]
PractitionerId = Annotated[str, Depends(get_practitioner_id)]
