"""Throttling of failed passwords and codes per account: a few free attempts, then an exponential
backoff (30 s doubling, capped at 15 minutes), and from 100 consecutive failures one attempt a day
(NIST 63B §5.2.2: at most 100 failures in any realistic period). Never a permanent lock an
attacker could force: the wait always ends, and a success resets the count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

FREE_ATTEMPTS = 5
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
HARD_LIMIT = 100
HARD_DELAY = timedelta(days=1)


@dataclass(frozen=True)
class Throttle:
    failures: int = 0
    next_attempt_at: datetime | None = None

    def allows(self, now: datetime) -> bool:
        return self.next_attempt_at is None or now >= self.next_attempt_at

    def failed(self, now: datetime) -> Throttle:
        failures = self.failures + 1
        return Throttle(failures, now + delay_after(failures) if delay_after(failures) else None)


def delay_after(failures: int) -> timedelta:
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    if failures >= HARD_LIMIT:
        return HARD_DELAY
    doubled: timedelta = FIRST_DELAY * 2 ** min(failures - FREE_ATTEMPTS, 10)
    return min(doubled, MAX_DELAY)
