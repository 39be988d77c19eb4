"""The embedded default's demo households: the fixed ones at start, the generated ones soon after."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from runtime.messaging.uow import UnitOfWork
from runtime.service import build_app
from services.eligibility.adapters.orm import card_colours, households
from services.eligibility.bootstrap import definition
from services.eligibility.settings import Settings
from tests.helpers import eventually

pytestmark = pytest.mark.broker


async def test_demo_households_are_seeded_once(settings: Settings, uow: UnitOfWork, data_dir: Path) -> None:
    demo = settings.model_copy(update={"demo": True, "demo_households": 60})
    service = dataclasses.replace(definition(demo), subscriptions=lambda _runtime: ())

    async def count() -> int:
        async with uow() as unit:
            return int(
                (await unit.session.execute(select(func.count()).select_from(households))).scalar_one()
            )

    app = build_app(service)
    async with app.router.lifespan_context(app):
        assert await count() >= 5
        await eventually(lambda: _at_least(count(), 65), timeout=120)
    async with app.router.lifespan_context(build_app(service)):
        assert await count() == 65
    async with uow() as unit:
        colours = (await unit.session.execute(select(card_colours.c.colour))).scalars().all()
    assert {"verte", "rose", "bulle"} <= set(colours)
    assert "100003" in (data_dir / "demo" / "eligibility.txt").read_text()


async def _at_least(value: Awaitable[int], expected: int) -> bool:
    return await value >= expected
