"""The statement (décompte) of a payment to the insured: claim references, amounts and date, and no
medical detail. One statement per insured (matricule) paid by the payment."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from contracts.payments import PaidClaim, Payee, PaymentIssuedV1
from services.notifications.domain.maintenance import MONACO
from services.notifications.domain.notices import SIGNATURE, Notice


def _euros(amount: Decimal) -> str:
    return f"{amount:,.2f} €".replace(",", " ").replace(".", ",")


def statement_notices(event: PaymentIssuedV1) -> list[tuple[str, Notice]]:
    """(matricule, notice) for each insured paid; nothing for a payment to a professional."""
    if event.payee is not Payee.INSURED:
        return []
    by_insured: dict[str, list[PaidClaim]] = defaultdict(list)
    for claim in event.claims:
        by_insured[claim.matricule].append(claim)
    paid_on = event.paid_at.astimezone(MONACO).strftime("%d/%m/%Y")
    notices = []
    for number, matricule in enumerate(sorted(by_insured), start=1):
        claims = by_insured[matricule]
        lines = "\n".join(f"  - feuille de soins {c.reference} : {_euros(c.amount)}" for c in claims)
        total = sum((c.amount for c in claims), Decimal(0))
        key = f"statement:{event.payment_id}" + (f":{number}" if len(by_insured) > 1 else "")
        notice = Notice(
            key=key,
            audience="insured",
            recipient=f"insured:{event.fund.value}:{matricule}",
            subject=f"Votre décompte de remboursement {event.payment_id}",
            body=(
                f"Bonjour,\n\nLa caisse {event.fund.value} vous a versé le {paid_on} un remboursement "
                f"de {_euros(total)} (paiement {event.payment_id}) pour :\n{lines}\n\n"
                "Conservez ce décompte : votre organisme complémentaire peut vous le demander.\n\n"
                f"{SIGNATURE}"
            ),
        )
        notices.append((matricule, notice))
    return notices
