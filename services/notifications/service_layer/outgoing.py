"""Recording a notice with its e-mails, once per key: the e-mails wait in the deliveries table for the
delivery task, which the commit wakes; a notice nobody can receive by e-mail is kept as undeliverable
and announced."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from contracts.envelope import Envelope
from contracts.notifications import NotificationUndeliverableV1
from runtime.messaging.uow import Unit
from services.notifications.adapters.notices import NoticeRepository
from services.notifications.domain.delivery import Channel, message_id
from services.notifications.domain.notices import Notice

MESSAGE_ID_DOMAIN = "notifications.fse.caisses-sociales.mc"


class Doorbell:
    """Rung once a unit that recorded e-mails has committed: the delivery task of this process starts a
    pass then (`DeliveryWorker.wake`) instead of at its next poll."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def listen(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def forget(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def ring(self) -> None:
        for listener in list(self._listeners):
            listener()


EMAILS_RECORDED = Doorbell()


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
    if addressed:
        if EMAILS_RECORDED.ring not in unit.committed_actions:
            unit.after_commit(EMAILS_RECORDED.ring)
    else:
        refusal = next((c.refusal for _, c in channels if c.refusal), "aucun destinataire")
        unit.emit(
            NotificationUndeliverableV1(
                notice_key=notice.key, audience=notice.audience, reason=refusal, recorded_at=now
            ),
            subject=notice.key,
            cause=cause,
        )
    return True
