"""Rejection notices in plain French: who is told, what happened and what to do. No medical detail."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.claims import ClaimRejectedV1, Notify


@dataclass(frozen=True)
class Notice:
    key: str
    audience: Notify
    recipient: str
    subject: str
    body: str


def rejection_notice(event: ClaimRejectedV1) -> Notice:
    if event.notify is Notify.PROFESSIONAL:
        recipient = f"practitioner:{event.practitioner_id}"
        action = (
            "Le tiers payant (HNP) ne pourra pas être réglé par la caisse : "
            "les honoraires sont à recouvrer auprès du patient."
        )
    else:
        recipient = f"insured:{event.fund.value}:{event.matricule}:{event.beneficiary_rank}"
        action = (
            "Les soins ne pourront pas être remboursés en l'état. "
            "Contactez votre caisse pour mettre à jour vos droits, puis demandez au professionnel de "
            "transmettre à nouveau la feuille de soins."
        )
    return Notice(
        key=f"rejection:{event.reference}",
        audience=event.notify,
        recipient=recipient,
        subject=f"Feuille de soins {event.reference} rejetée",
        body=(
            f"Bonjour,\n\nLa feuille de soins électronique {event.reference} a été rejetée par la caisse "
            f"{event.fund.value}.\nMotif : {event.reason}\n\n{action}\n\n"
            "Caisses Sociales de Monaco\n"
        ),
    )
