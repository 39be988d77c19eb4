"""Throttling of failed code FSE checks, per matricule and per caller, so that guessing does not work.

Numbers (settings.py): a matricule is locked for 15 minutes after 5 failures within 15 minutes, and a
caller for 60 minutes after 20 failures within 60 minutes. A code FSE has 36^6 ≈ 2.2 billion values at
its shortest: one matricule sees at most 480 guesses a day (success odds ≈ 2e-7 a day), and one caller at
most 480 a day in all, every one audited. A lock is temporary, and a caller's lock stops a single caller
from locking more than 4 insured an hour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Limit:
    failures: int
    window: timedelta
    lockout: timedelta


@dataclass(frozen=True)
class Counter:
    failures: int
    window_start: datetime
    blocked_until: datetime | None = None

    def blocked(self, now: datetime) -> bool:
        return self.blocked_until is not None and now < self.blocked_until

    def after_failure(self, now: datetime, limit: Limit) -> Counter:
        if now - self.window_start >= limit.window or (self.blocked_until and now >= self.blocked_until):
            fresh = Counter(1, now)
        else:
            fresh = Counter(self.failures + 1, self.window_start)
        if fresh.failures >= limit.failures:
            return Counter(fresh.failures, fresh.window_start, now + limit.lockout)
        return fresh


def first_failure(now: datetime, limit: Limit) -> Counter:
    return Counter(0, now).after_failure(now, limit)
