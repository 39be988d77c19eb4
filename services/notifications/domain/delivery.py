"""E-mail delivery rules: who may be e-mailed (their choice), stable message ids, and the retry schedule."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class InsuredContact:
    email: str | None
    notify_by_email: bool
    insurer_email: str | None = None
    forward_statements_to_insurer: bool = False


@dataclass(frozen=True)
class Channel:
    """Where a notice goes: an address, or why it cannot be e-mailed."""

    address: str | None
    refusal: str = ""


def insured_channel(contact: InsuredContact | None) -> Channel:
    if contact is None or not contact.email:
        return Channel(None, "aucune adresse e-mail connue pour l'assuré")
    if not contact.notify_by_email:
        return Channel(None, "l'assuré n'a pas choisi d'être informé par e-mail")
    return Channel(contact.email)


def insurer_channel(contact: InsuredContact | None) -> Channel:
    """The complementary insurer receives a copy only with the insured's consent."""
    if contact is None or not contact.forward_statements_to_insurer:
        return Channel(None, "pas de consentement à la transmission à l'organisme complémentaire")
    if not contact.insurer_email:
        return Channel(None, "aucune adresse e-mail connue pour l'organisme complémentaire")
    return Channel(contact.insurer_email)


def practitioner_channel(email: str | None) -> Channel:
    return Channel(email) if email else Channel(None, "aucune adresse e-mail connue pour le professionnel")


def message_id(delivery_key: str, domain: str) -> str:
    """The same Message-ID on every attempt of one delivery, so that a duplicate is recognisable."""
    digest = hashlib.sha256(delivery_key.encode()).hexdigest()[:40]
    return f"<{digest}@{domain}>"


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float
    max_seconds: float
    max_attempts: int

    def next_attempt(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after `attempts` failed attempts (exponential backoff, capped); None once
        the attempts are exhausted."""
        if attempts >= self.max_attempts:
            return None
        delay = min(self.base_seconds * 2 ** (attempts - 1), self.max_seconds)
        return now + timedelta(seconds=delay)
