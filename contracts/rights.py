"""The rights feed (topic fse.rights.feed, key = fund:matricule): facts the funds' back office sends about
the insured. Eligibility owns the registry built from it; notifications keeps only contact preferences."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, EmailStr

from contracts import topics
from contracts.common import Fund, Matricule
from contracts.envelope import Payload


class InsuredContactChangedV1(Payload):
    """How the insured wants to be told (e-mail or not) and whether statements are forwarded to their
    complementary insurer."""

    event_type: ClassVar[str] = "InsuredContactChanged"
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str] = topics.RIGHTS_FEED

    fund: Fund
    matricule: Matricule
    email: EmailStr | None = None
    notify_by_email: bool = False
    complementary_insurer_email: EmailStr | None = None
    forward_statements_to_insurer: bool = False
    changed_at: AwareDatetime
