"""Topic names: one stream per producing context. Keys are the claim reference (or the insured's
matricule on the rights feed) so that one subject's events stay ordered on one partition."""

from typing import Final

CLAIM_SUBMISSIONS: Final = "fse.claims.submitted"
CLAIMS: Final = "fse.claims"
ELIGIBILITY: Final = "fse.eligibility"
TARIFF: Final = "fse.tariff"
NOTIFICATIONS: Final = "fse.notifications"
AUTH: Final = "fse.auth"
RIGHTS_FEED: Final = "fse.rights.feed"
PAYMENTS: Final = "fse.payments"
FORMS: Final = "fse.forms"

ALL: Final = (
    CLAIM_SUBMISSIONS,
    CLAIMS,
    ELIGIBILITY,
    TARIFF,
    NOTIFICATIONS,
    AUTH,
    RIGHTS_FEED,
    PAYMENTS,
    FORMS,
)


def dead_letter(topic: str) -> str:
    """The dead-letter topic that receives the messages of `topic` that cannot be processed."""
    return f"{topic}.dlt"


def with_dead_letters() -> tuple[str, ...]:
    return ALL + tuple(dead_letter(t) for t in ALL)
