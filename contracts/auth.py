"""The auth stream (topic fse.auth): account lifecycle and session revocations other services act on.
Security audit events are added here too, one model per decision."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar

from pydantic import AwareDatetime, EmailStr, Field

from contracts import topics
from contracts.common import Profession
from contracts.envelope import Payload


class PractitionerActivatedV1(Payload):
    """A fund operator activated a professional's account: they may now log in and receive notices."""

    event_type: ClassVar[str] = "PractitionerActivated"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.AUTH

    practitioner_id: str
    profession: Profession
    last_name: Annotated[str, Field(max_length=100)]
    first_name: Annotated[str, Field(max_length=100)]
    email: EmailStr
    activated_at: AwareDatetime


class PractitionerDeactivatedV1(Payload):
    event_type: ClassVar[str] = "PractitionerDeactivated"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.AUTH

    practitioner_id: str
    deactivated_at: AwareDatetime


class SessionsRevokedV1(Payload):
    """Tokens of these sessions (or all of a user's, issued before `before`) must no longer be honoured."""

    event_type: ClassVar[str] = "SessionsRevoked"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.AUTH

    user_id: str
    session_ids: list[str] = Field(default_factory=list)
    before: AwareDatetime | None = None
    until: AwareDatetime
    reason: Annotated[str, Field(max_length=40)]


# Security audit: one model per kind of decision. Never a password, code, secret or token; `user_id`
# is None when the login named no account (the attempted login itself is not recorded).


class AuthenticationSucceededV1(Payload):
    """Both factors passed: a full session was opened (or refreshed, `step="refresh"`)."""

    event_type: ClassVar[str] = "AuthenticationSucceeded"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.AUTH

    user_id: str
    role: Annotated[str, Field(max_length=24)]
    practitioner_id: str | None = None
    session_id: str
    step: Annotated[str, Field(max_length=16)]
    at: AwareDatetime


class AuthenticationFailedV1(Payload):
    """A refused step: `reason` is one of credentials, code, replay, throttled, expired, inactive."""

    event_type: ClassVar[str] = "AuthenticationFailed"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.AUTH

    user_id: str | None = None
    step: Annotated[str, Field(max_length=16)]
    reason: Annotated[str, Field(max_length=24)]
    failures: int = 0
    at: AwareDatetime


class AccountThrottledV1(Payload):
    event_type: ClassVar[str] = "AccountThrottled"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.AUTH

    user_id: str
    failures: int
    until: AwareDatetime
    at: AwareDatetime


class TotpEnrolledV1(Payload):
    """A second factor became active (the first valid code was given)."""

    event_type: ClassVar[str] = "TotpEnrolled"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.AUTH

    user_id: str
    at: AwareDatetime


class LoggedOutV1(Payload):
    event_type: ClassVar[str] = "LoggedOut"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.AUTH

    user_id: str
    session_id: str
    at: AwareDatetime


class PractitionerAppliedV1(Payload):
    """An application awaiting an operator's activation (identifying details stay in auth)."""

    event_type: ClassVar[str] = "PractitionerApplied"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.AUTH

    practitioner_id: str
    profession: Profession
    at: AwareDatetime


class PasswordChangedV1(Payload):
    """`via` is change (knowing the old one) or reset (operator-issued code plus the TOTP code)."""

    event_type: ClassVar[str] = "PasswordChanged"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.AUTH

    user_id: str
    via: Annotated[str, Field(max_length=16)]
    by: str
    at: AwareDatetime


class AssistantAddedV1(Payload):
    event_type: ClassVar[str] = "AssistantAdded"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.AUTH

    practitioner_id: str
    assistant_id: str
    start_date: date
    end_date: date | None = None
    at: AwareDatetime


class AssistantRevokedV1(Payload):
    event_type: ClassVar[str] = "AssistantRevoked"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.AUTH

    practitioner_id: str
    assistant_id: str
    by: str
    at: AwareDatetime


class PasswordResetCodeIssuedV1(Payload):
    """A fund operator issued a one-time reset code (the code itself goes to the user out of band)."""

    event_type: ClassVar[str] = "PasswordResetCodeIssued"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.AUTH

    user_id: str
    by: str
    expires_at: AwareDatetime
    at: AwareDatetime
