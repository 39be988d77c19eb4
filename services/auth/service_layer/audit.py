"""The security audit: every decision is an event on fse.auth (through the outbox, so it is published
exactly when the decision commits) and a log line naming who, what and when in UTC. Payloads never
carry a password, code, secret or token; runtime.logs escapes control characters."""

from __future__ import annotations

import logging

from contracts.envelope import Payload
from runtime.messaging.uow import Unit

log = logging.getLogger("fse.audit")


def record(unit: Unit, payload: Payload, *, subject: str) -> None:
    unit.emit(payload, subject=subject)
    fields = " ".join(f"{key}={value}" for key, value in payload.model_dump(mode="json").items())
    log.info("audit %s %s", payload.event_type, fields)
