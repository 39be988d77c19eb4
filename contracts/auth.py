"""The auth stream (topic fse.auth): account lifecycle and session revocations other services act on.
Security audit events are added here too, one model per decision."""

from __future__ import annotations

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
