"""Every service learns session revocations from auth (SessionsRevoked on fse.auth) and applies them to
its token verifier, so that logout, deactivation and revoked assistants take effect before the short
access tokens expire.

No consumer group: every instance must see every revocation (a group would share them out), and the
set lives in memory, so each instance reads the topic from the start at boot to rebuild it and skips
entries that can no longer matter. Nothing is committed; no inbox is needed (applying twice is
harmless)."""

from __future__ import annotations

import logging
import time

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError

from contracts import topics
from contracts.auth import SessionsRevokedV1
from contracts.envelope import Envelope
from contracts.registry import UnknownEventError, parse
from runtime.security import Revocations

log = logging.getLogger(__name__)

NO_GROUP = "no-group"
"""The AsyncAPI title of a reader outside any consumer group: it commits nothing (no lag to report) and
skips what it cannot read (every instance reads every message: dead letters belong to a group)."""


def apply(revocations: Revocations, revoked: SessionsRevokedV1) -> None:
    until = int(revoked.until.timestamp())
    if until < time.time():
        return
    for session_id in revoked.session_ids:
        revocations.revoke_session(session_id, until)
    if revoked.before is not None:
        revocations.revoke_user(revoked.user_id, int(revoked.before.timestamp()))


def read(revocations: Revocations, value: bytes | None) -> None:
    try:
        envelope = Envelope.model_validate_json(value or b"")
        if envelope.type != SessionsRevokedV1.event_type:
            return
        payload = parse(envelope, SessionsRevokedV1)
    except (ValidationError, UnknownEventError, ValueError):
        log.warning("revocations: unreadable message on %s skipped", topics.AUTH)
        return
    assert isinstance(payload, SessionsRevokedV1)
    apply(revocations, payload)


def listen(broker: KafkaBroker, revocations: Revocations, service_name: str, wait_ms: int) -> None:
    """Subscribe `revocations` to the auth stream on every partition, without a consumer group; a
    background stream (`wait_ms`): a revocation applies within that wait, access tokens live minutes."""

    async def on_auth_event(message: KafkaMessage) -> None:
        read(revocations, message.raw_message.value)  # type: ignore[union-attr]
        revocations.forget_expired(int(time.time()))

    on_auth_event.__name__ = f"{service_name}_revocations".replace("-", "_")
    broker.subscriber(
        topics.AUTH,
        group_id=None,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        fetch_max_wait_ms=wait_ms,
        title=f"{NO_GROUP}:{service_name}-revocations",
        description=SessionsRevokedV1.event_type,
    )(on_auth_event)
