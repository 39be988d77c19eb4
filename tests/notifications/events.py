"""Input events as the other services publish them."""

from __future__ import annotations

import secrets
import string
from datetime import UTC, datetime
from decimal import Decimal

from contracts.auth import PractitionerActivatedV1, PractitionerDeactivatedV1
from contracts.claims import ClaimRejectedV1, Notify
from contracts.common import Fund, Profession
from contracts.payments import PaidClaim, Payee, PaymentIssuedV1
from contracts.rights import InsuredContactChangedV1


def reference() -> str:
    suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(10))
    return f"FSE-{datetime.now(UTC):%Y%m%d}-{suffix}"


def rejected(
    matricule: str,
    notify: Notify = Notify.INSURED,
    practitioner_id: str = "prt-1",
    reason_code: str = "RIGHTS_CLOSED",
    reason: str = "Les droits du bénéficiaire ne sont pas ouverts à la date des soins.",
    claim_reference: str | None = None,
) -> ClaimRejectedV1:
    return ClaimRejectedV1(
        reference=claim_reference or reference(),
        practitioner_id=practitioner_id,
        fund=Fund.CCSS,
        matricule=matricule,
        beneficiary_rank=0,
        decided_at=datetime.now(UTC),
        reason_code=reason_code,
        reason=reason,
        notify=notify,
        stage="eligibility",
    )


def contact(
    matricule: str,
    email: str | None,
    notify_by_email: bool = True,
    insurer_email: str | None = None,
    forward: bool = False,
) -> InsuredContactChangedV1:
    return InsuredContactChangedV1(
        fund=Fund.CCSS,
        matricule=matricule,
        email=email,
        notify_by_email=notify_by_email,
        complementary_insurer_email=insurer_email,
        forward_statements_to_insurer=forward,
        changed_at=datetime.now(UTC),
    )


def activated(practitioner_id: str, email: str) -> PractitionerActivatedV1:
    return PractitionerActivatedV1(
        practitioner_id=practitioner_id,
        profession=Profession.MEDECIN,
        last_name="Martin",
        first_name="Anne",
        email=email,
        activated_at=datetime.now(UTC),
    )


def deactivated(practitioner_id: str) -> PractitionerDeactivatedV1:
    return PractitionerDeactivatedV1(practitioner_id=practitioner_id, deactivated_at=datetime.now(UTC))


def paid(payment_id: str, payee: Payee, *claims: tuple[str, str, str]) -> PaymentIssuedV1:
    """A payment of (reference, matricule, amount) claims."""
    lines = [PaidClaim(reference=r, matricule=m, amount=Decimal(a)) for r, m, a in claims]
    return PaymentIssuedV1(
        payment_id=payment_id,
        fund=Fund.CCSS,
        payee=payee,
        practitioner_id="prt-1" if payee is Payee.PROFESSIONAL else None,
        paid_at=datetime.now(UTC),
        claims=lines,
        total=sum((c.amount for c in lines), Decimal(0)),
    )
