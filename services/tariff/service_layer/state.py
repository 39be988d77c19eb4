"""The service's live pricing state: the rules and every nomenclature version, held in memory."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from services.tariff.domain.nomenclature import Catalogue
from services.tariff.domain.rules import Rules


@dataclass
class TariffState:
    rules: Rules
    catalogue: Catalogue = field(default_factory=Catalogue)
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # set once the catalogue is loaded
