"""Planned maintenance: announced at least 48 hours ahead, inside the service's own calendar (open 7:30
to 22:00 Monaco time, every day). Times are aware datetimes; Monaco's local time only for display."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

MONACO = ZoneInfo("Europe/Monaco")
NOTICE_PERIOD = timedelta(hours=48)
OPENS, CLOSES = time(7, 30), time(22, 0)


class WindowRefusedError(ValueError):
    """A window the rules refuse; `field` and `reason` name what is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Window:
    window_id: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    cancelled: bool = False

    def current(self, now: datetime) -> bool:
        return not self.cancelled and self.starts_at <= now < self.ends_at

    def planned(self, now: datetime) -> bool:
        return not self.cancelled and now < self.starts_at


def local(moment: datetime) -> str:
    return moment.astimezone(MONACO).strftime("%d/%m/%Y à %H:%M")


def check_window(
    starts_at: datetime, ends_at: datetime, now: datetime, notice: timedelta = NOTICE_PERIOD
) -> None:
    """Refuse a window that is not announced `notice` ahead or that ends before it starts."""
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at), ("now", now)):
        if value.tzinfo is None:
            raise WindowRefusedError(field, "a time zone is required")
    if ends_at <= starts_at:
        raise WindowRefusedError("ends_at", "must be after starts_at")
    earliest = now + notice
    if starts_at < earliest:
        hours = notice.total_seconds() / 3600
        raise WindowRefusedError(
            "starts_at",
            f"maintenance must be announced at least {hours:g} hours ahead: "
            f"the earliest start now is {earliest.astimezone(MONACO).isoformat(timespec='minutes')}",
        )


def check_change(window: Window, starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    """A change keeps the 48-hour notice for a new start; a window that is over or cancelled is final."""
    if window.cancelled:
        raise WindowRefusedError("window_id", "the window is cancelled")
    if window.ends_at <= now:
        raise WindowRefusedError("window_id", "the window is over")
    if starts_at == window.starts_at:
        if ends_at <= max(starts_at, now):
            raise WindowRefusedError("ends_at", "must be after starts_at and in the future")
        return
    check_window(starts_at, ends_at, now)


def check_cancel(window: Window, now: datetime) -> None:
    if window.cancelled:
        raise WindowRefusedError("window_id", "the window is already cancelled")
    if window.ends_at <= now:
        raise WindowRefusedError("window_id", "the window is over")


def open_now(now: datetime) -> bool:
    """Whether `now` falls inside the service hours (Monaco time)."""
    return OPENS <= now.astimezone(MONACO).time() < CLOSES


SUBJECTS = {
    "scheduled": "Maintenance programmée du service FSE",
    "changed": "Maintenance du service FSE : nouvel horaire",
    "cancelled": "Maintenance du service FSE annulée",
}


def announcement(window: Window, kind: str) -> tuple[str, str]:
    """The subject and body of the e-mail to the professionals, in French and Monaco local time."""
    period = f"du {local(window.starts_at)} au {local(window.ends_at)} (heure de Monaco)"
    if kind == "cancelled":
        text = f"La maintenance prévue {period} est annulée : le service restera disponible."
    else:
        lead = "La maintenance" if kind == "scheduled" else "La maintenance a été reprogrammée : elle"
        text = (
            f"{lead} aura lieu {period}. Pendant cette période, le service de transmission des "
            "feuilles de soins électroniques sera indisponible ; transmettez vos FSE avant ou après."
        )
        if window.reason:
            text += f"\nObjet : {window.reason}"
    body = (
        f"Bonjour,\n\n{text}\n\nLe service est ouvert de 7 h 30 à 22 h, 7 jours sur 7.\n\n"
        "Caisses Sociales de Monaco\nService des feuilles de soins électroniques\n"
    )
    return SUBJECTS[kind], body
