"""Transmission deadlines, in Monaco dates.

An FSE must reach the funds at the latest 5 days after the act (or the last act of a series); a series
of acts by auxiliaries may be sent until the end of the month following the last act. No act may be
dated in the future.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from contracts.common import ClaimContent, Profession

MONACO = ZoneInfo("Europe/Monaco")
DAYS_ALLOWED = 5
AUXILIARIES = frozenset(
    {
        Profession.INFIRMIER,
        Profession.MASSEUR_KINESITHERAPEUTE,
        Profession.ORTHOPHONISTE,
        Profession.ORTHOPTISTE,
    }
)


class DeadlineError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def monaco_date(moment: datetime) -> date:
    if moment.tzinfo is None:
        raise ValueError("moment: a time zone is required")
    return moment.astimezone(MONACO).date()


def last_day_allowed(claim: ClaimContent) -> date:
    last_act = max(act.date_of_care for act in claim.acts)
    if claim.series and claim.profession in AUXILIARIES:
        year, month = (last_act.year + 1, 1) if last_act.month == 12 else (last_act.year, last_act.month + 1)
        return date(year, month, calendar.monthrange(year, month)[1])
    return last_act + timedelta(days=DAYS_ALLOWED)


def check_deadline(claim: ClaimContent, received_at: datetime) -> None:
    today = monaco_date(received_at)
    for index, act in enumerate(claim.acts):
        if act.date_of_care > today:
            raise DeadlineError(
                "ACT_IN_FUTURE", f"acts.{index}.date_of_care: after today ({today.isoformat()})"
            )
    limit = last_day_allowed(claim)
    if today > limit:
        raise DeadlineError(
            "DEADLINE_EXCEEDED",
            f"acts.date_of_care: to be sent by {limit.isoformat()}, received {today.isoformat()}",
        )
