"""The one pricing function behind both the instant preview and the asynchronous claim step, so that
they cannot disagree on the same input."""

from __future__ import annotations

from contracts.common import ClaimContent
from services.tariff.domain.coverage import Coverage
from services.tariff.domain.pricing import Priced, price
from services.tariff.service_layer.state import TariffState


def quote(state: TariffState, claim: ClaimContent, coverage: Coverage) -> Priced:
    return price(claim, coverage, state.catalogue, state.rules)
