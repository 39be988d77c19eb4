"""The notifications stream (topic fse.notifications): planned maintenance announced to the professionals,
and the fate of every e-mail (sent, failed and to be retried, or not e-mailable). Addresses and message
bodies never travel here: they are identifying data and stay in the notifications service."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import AwareDatetime, Field

from contracts import topics
from contracts.envelope import Payload

NoticeKey = Annotated[str, Field(min_length=1, max_length=120)]
Reason = Annotated[str, Field(max_length=300)]


class MaintenanceScheduledV1(Payload):
    """An operator planned a maintenance window, at least 48 hours ahead; the subject is the window id."""

    event_type: ClassVar[str] = "MaintenanceScheduled"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.NOTIFICATIONS

    window_id: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: Reason = ""
    scheduled_by: str
    scheduled_at: AwareDatetime


class MaintenanceChangedV1(Payload):
    event_type: ClassVar[str] = "MaintenanceChanged"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.NOTIFICATIONS

    window_id: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: Reason = ""
    changed_by: str
    changed_at: AwareDatetime


class MaintenanceCancelledV1(Payload):
    event_type: ClassVar[str] = "MaintenanceCancelled"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.NOTIFICATIONS

    window_id: str
    cancelled_by: str
    cancelled_at: AwareDatetime


class NotificationSentV1(Payload):
    """The SMTP server accepted one e-mail of a notice; `message_id` is stable per delivery, so that a
    duplicate after a crash can be recognised by the receiver."""

    event_type: ClassVar[str] = "NotificationSent"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.NOTIFICATIONS

    notice_key: NoticeKey
    delivery_key: Annotated[str, Field(max_length=160)]
    message_id: str
    attempts: int
    sent_at: AwareDatetime


class NotificationFailedV1(Payload):
    """One delivery attempt failed; `will_retry` says whether another attempt is planned (and when)."""

    event_type: ClassVar[str] = "NotificationFailed"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.NOTIFICATIONS

    notice_key: NoticeKey
    delivery_key: Annotated[str, Field(max_length=160)]
    message_id: str
    attempt: int
    error: Annotated[str, Field(max_length=200)]
    will_retry: bool
    next_attempt_at: AwareDatetime | None = None
    failed_at: AwareDatetime


class NotificationUndeliverableV1(Payload):
    """A notice could not be e-mailed (no address, or the person did not choose e-mail): it is kept for
    the back office to send by other means."""

    event_type: ClassVar[str] = "NotificationUndeliverable"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.NOTIFICATIONS

    notice_key: NoticeKey
    audience: str
    reason: Reason
    recorded_at: AwareDatetime
