"""Session rules on an injected clock: idle and absolute timeouts, and how long an access token may
live (never past the session's absolute end nor an assistant's last day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MONACO = ZoneInfo("Europe/Monaco")


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    access_token: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class Validity:
    """An assistant's delegation: from the first to the last day inclusive (Monaco dates)."""

    start: date
    end: date | None = None
    revoked_at: datetime | None = None

    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time(0), MONACO)

    def ends_at(self) -> datetime | None:
        if self.end is None:
            return None
        return datetime.combine(self.end + timedelta(days=1), time(0), MONACO)

    def active(self, now: datetime) -> bool:
        ends = self.ends_at()
        return self.revoked_at is None and self.starts_at() <= now and (ends is None or now < ends)


def session_alive(created_at: datetime, last_seen_at: datetime, now: datetime, policy: SessionPolicy) -> bool:
    return now - last_seen_at < policy.idle and now - created_at < policy.absolute


def token_expiry(
    created_at: datetime, now: datetime, policy: SessionPolicy, validity: Validity | None = None
) -> datetime:
    limits = [now + policy.access_token, created_at + policy.absolute]
    if validity is not None and validity.ends_at() is not None:
        limits.append(validity.ends_at())  # type: ignore[arg-type]
    return min(limits)
