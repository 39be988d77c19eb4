"""Same-day deletion: an FSE may be deleted on the Monaco day it was received, until 22:00 there."""

from __future__ import annotations

from datetime import datetime, time

from services.claims.domain.deadlines import MONACO
from services.claims.domain.model import Status

CUT_OFF = time(22, 0)


def why_not_deletable(received_at: datetime, status: Status, now: datetime) -> tuple[str, str] | None:
    """None when the FSE may be deleted now, else (code, "field: reason")."""
    if status is Status.CANCELLED:
        return "ALREADY_CANCELLED", "reference: this FSE is already deleted"
    received_day = received_at.astimezone(MONACO).date()
    local_now = now.astimezone(MONACO)
    if local_now.date() != received_day:
        return "NOT_SAME_DAY", "reference: only an FSE received today (Monaco time) may be deleted"
    if local_now.time() >= CUT_OFF:
        return "DELETION_CLOSED", "reference: deletion closes at 22:00 Monaco time"
    return None
