"""The claim as the claims service sees it: its reference, receipt, status and decision."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from contracts.claims import Notify
from contracts.common import ClaimContent, Fund, Matricule

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O, U


class Status(StrEnum):
    RECEIVED = "received"
    ELIGIBLE = "eligible"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in {Status.ACCEPTED, Status.REJECTED, Status.CANCELLED}


def new_reference(received_at: datetime) -> str:
    """FSE-YYYYMMDD-XXXXXXXXXX: the Monaco date of receipt and 50 random bits."""
    bits = secrets.randbits(50)  # one draw: ten draws of one character cost ten reads of the system's source
    suffix = "".join(_ALPHABET[(bits >> shift) & 0b11111] for shift in range(45, -1, -5))
    return f"FSE-{received_at:%Y%m%d}-{suffix}"


def digest(document: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of what was received (`ClaimContent.model_dump(mode="json")`, also
    what is stored): the professional's proof of content."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def patient_key(fund: str, matricule: str) -> str:
    """What the patient fingerprint is computed from: a matricule is unique within its fund."""
    return f"patient:{fund}:{matricule}"


class Parties(BaseModel):
    """What a decision names and whom it notifies, read from a stored claim's content. The content was
    validated whole at intake: a decision reads these fields again, not the acts (validating the whole
    content again cost about 50,000 instructions a claim, docs/benchmarks.md)."""

    model_config = ConfigDict(frozen=True)  # the content's other fields are left unread

    fund: Fund
    matricule: Matricule
    beneficiary_rank: int = 0
    hnp: bool = False


def who_to_notify(claim: ClaimContent | Parties) -> Notify:
    """Under HNP the fund pays the professional, who must recover the fee; otherwise the insured paid."""
    return Notify.PROFESSIONAL if claim.hnp else Notify.INSURED
