"""Recording a notice with its e-mails, once per key: the e-mails wait in the deliveries table for the
delivery task; a notice nobody can receive by e-mail is kept as undeliverable and announced."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from contracts.envelope import Envelope
from contracts.notifications import NotificationUndeliverableV1
from runtime.messaging.uow import Unit
from services.notifications.adapters.notices import NoticeRepository
from services.notifications.domain.delivery import Channel, message_id
from services.notifications.domain.notices import Notice

MESSAGE_ID_DOMAIN = "notifications.fse.caisses-sociales.mc"


async def record_notice(
    unit: Unit,
    notice: Notice,
    channels: Sequence[tuple[str, Channel]],
    cause: Envelope | None = None,
) -> bool:
    """Store `notice` and one delivery per addressed channel (named by its role: "to", "insurer", a
    practitioner id); False when the notice already exists (a redelivered event)."""
    repository = NoticeRepository.of(unit)
    if await repository.exists(notice.key):
        return False
    now = datetime.now(UTC)
    addressed = [(role, channel.address) for role, channel in channels if channel.address]
    await repository.add(notice, "pending" if addressed else "undeliverable", now)
    for role, address in addressed:
        key = f"{notice.key}:{role}"
        repository.add_delivery(key, notice.key, address, message_id(key, MESSAGE_ID_DOMAIN), now)
    if not addressed:
        refusal = next((c.refusal for _, c in channels if c.refusal), "aucun destinataire")
        unit.emit(
            NotificationUndeliverableV1(
                notice_key=notice.key, audience=notice.audience, reason=refusal, recorded_at=now
            ),
            subject=notice.key,
            cause=cause,
        )
    return True
