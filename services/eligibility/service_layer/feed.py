"""The back office's rights feed applied to the registry. Each fact is applied only if it is newer (by
the insured's `sequence`) than the one already applied for the same subject, so that duplicates and
out-of-order redelivery leave the registry as in-order delivery would."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from contracts.envelope import Envelope, Payload
from contracts.rights import (
    CardColourSetV1,
    CodeFseIssuedV1,
    EtmEndedV1,
    EtmGrantedV1,
    HouseholdChangedV1,
    InsuredContactChangedV1,
    InsuredFact,
    PriorApprovalDecidedV1,
    RightsClosedV1,
    RightsOpenedV1,
)
from runtime.messaging.uow import Unit
from services.eligibility.adapters.repository import code_fse_digest
from services.eligibility.adapters.writer import RegistryWriter
from services.eligibility.service_layer.approvals import record_decision

log = logging.getLogger(__name__)

Apply = Callable[[RegistryWriter, Any], Awaitable[None]]


def _aspect(event: InsuredFact) -> str:
    """The subject a fact is about: a newer fact about it supersedes an older one."""
    match event:
        case HouseholdChangedV1():
            return "members"
        case RightsOpenedV1() | RightsClosedV1():
            return f"rights:{event.rank}:{event.start.isoformat()}"
        case EtmGrantedV1() | EtmEndedV1():
            return f"etm:{event.rank}:{event.scope}:{event.start.isoformat()}"
        case CardColourSetV1():
            return f"colour:{event.year}"
        case PriorApprovalDecidedV1():
            return f"approval:{event.reference}"
    raise TypeError(type(event).__name__)


def handlers(grace: timedelta) -> dict[type[Payload], Callable[[Unit, Envelope, Any], Awaitable[None]]]:
    async def members(writer: RegistryWriter, event: HouseholdChangedV1) -> None:
        await writer.replace_members(event.members)

    async def rights(writer: RegistryWriter, event: RightsOpenedV1 | RightsClosedV1) -> None:
        await writer.put_period(event.rank, "rights", event.start, event.end)

    async def etm(writer: RegistryWriter, event: EtmGrantedV1 | EtmEndedV1) -> None:
        await writer.put_period(event.rank, "etm", event.start, event.end, event.scope)

    async def colour(writer: RegistryWriter, event: CardColourSetV1) -> None:
        await writer.set_colour(event.year, event.colour)

    def guarded(apply: Apply) -> Callable[[Unit, Envelope, Any], Awaitable[None]]:
        async def handle(unit: Unit, _envelope: Envelope, event: InsuredFact) -> None:
            writer = RegistryWriter(unit.session, event.fund, event.matricule)
            await writer.ensure_household()
            if await writer.advance(_aspect(event), event.sequence):
                await apply(writer, event)
            else:
                log.info("stale %s (sequence %d) ignored", event.event_type, event.sequence)

        return handle

    async def approval(unit: Unit, _envelope: Envelope, event: PriorApprovalDecidedV1) -> None:
        writer = RegistryWriter(unit.session, event.fund, event.matricule)
        await writer.ensure_household()
        await record_decision(unit.session, event, await writer.advance(_aspect(event), event.sequence))

    async def code(unit: Unit, _envelope: Envelope, event: CodeFseIssuedV1) -> None:
        """Ordered by issue time rather than sequence, so that a late old code still gets its grace."""
        writer = RegistryWriter(unit.session, event.fund, event.matricule)
        digest = code_fse_digest(event.fund, event.matricule, event.code_fse)
        await writer.set_code((await writer.code()).issued(digest, event.issued_at, grace))

    async def contact(unit: Unit, _envelope: Envelope, event: InsuredContactChangedV1) -> None:
        writer = RegistryWriter(unit.session, event.fund, event.matricule)
        await writer.set_contact(
            event.complementary_insurer_email, event.forward_statements_to_insurer, event.changed_at
        )

    return {
        HouseholdChangedV1: guarded(members),
        RightsOpenedV1: guarded(rights),
        RightsClosedV1: guarded(rights),
        EtmGrantedV1: guarded(etm),
        EtmEndedV1: guarded(etm),
        CardColourSetV1: guarded(colour),
        CodeFseIssuedV1: code,
        PriorApprovalDecidedV1: approval,
        InsuredContactChangedV1: contact,
    }
