"""Loading the nomenclature (shipped versions stored once, then every stored version into memory) and
applying a published version idempotently; memory is refreshed only once the version is committed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

from contracts.envelope import Envelope
from contracts.tariff import NomenclatureVersionPublishedV1
from runtime.db import Sessions
from runtime.messaging.consumer import MessageRejectedError
from runtime.messaging.uow import Unit, UnitOfWork
from services.tariff.adapters import shipped
from services.tariff.adapters.nomenclature_repository import NomenclatureRepository
from services.tariff.domain.nomenclature import Catalogue, TableVersion
from services.tariff.domain.publication import AmendmentError, amended
from services.tariff.service_layer.mapping import ccam_act, ngap_key
from services.tariff.service_layer.state import TariffState

SHIPPED: dict[str, Callable[[], TableVersion]] = {
    shipped.NGAP_VERSION: shipped.ngap_version,
    shipped.CCAM_VERSION: shipped.ccam_version,
}


def digest_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def load_catalogue(uow: UnitOfWork, sessions: Sessions, state: TariffState) -> None:
    """Store the shipped versions the database lacks, then read every version into memory."""
    async with uow() as unit:
        repository = NomenclatureRepository(unit.session)
        known = await repository.digests()
        for version, read in SHIPPED.items():
            if version not in known:
                table = read()
                await repository.add(table, digest_of(f"{version}|{table.source}"), datetime.now(UTC))
    async with sessions() as session:
        state.catalogue = Catalogue(await NomenclatureRepository(session).load_all())
    state.ready.set()


def subject_of(event: NomenclatureVersionPublishedV1) -> str:
    """One partition key per nomenclature, so that each version is applied after the one it amends."""
    return f"nomenclature.{event.nomenclature.value}"


def check_publishable(state: TariffState, event: NomenclatureVersionPublishedV1) -> None:
    """Refuse at once what the consumer would refuse (a clear HTTP error rather than a dead letter)."""
    if state.catalogue.get(event.version) is not None:
        raise AmendmentError("version: already published")
    _table(state, event)


async def on_version_published(
    state: TariffState, unit: Unit, _envelope: Envelope, event: NomenclatureVersionPublishedV1
) -> None:
    digest = digest_of(event.model_dump_json())
    repository = NomenclatureRepository(unit.session)
    known = (await repository.digests()).get(event.version)
    if known is not None and known != digest:
        raise MessageRejectedError("version: already published with other content")
    if known is not None and state.catalogue.get(event.version) is not None:
        return  # already applied: publishing twice changes nothing
    try:
        table = _table(state, event)
    except AmendmentError as error:
        raise MessageRejectedError(str(error)) from None
    if known is None:
        await repository.add(table, digest, datetime.now(UTC))
    # else another instance stored it: only this instance's memory lacks it
    unit.after_commit(lambda: state.catalogue.add(table))


def _table(state: TariffState, event: NomenclatureVersionPublishedV1) -> TableVersion:
    base = None
    if event.based_on is not None:
        base = state.catalogue.get(event.based_on)
        if base is None:
            raise AmendmentError("based_on: unknown version")
    return amended(
        base,
        event.version,
        event.nomenclature,
        event.effective_from,
        event.source,
        ngap=[ngap_key(k) for k in event.ngap_keys],
        ccam=[ccam_act(a) for a in event.ccam_acts],
        withdrawn=event.withdrawn,
    )
