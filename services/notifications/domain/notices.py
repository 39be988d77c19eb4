"""Rejection notices in plain French: who is told, what happened and what to do.

No medical detail ever: the reason is the catalogue's text for the stable reason code (never the free
text of the event, which may name acts), and the notice names neither acts nor amounts."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.claims import ClaimRejectedV1, Notify
from contracts.reasons import REASONS

SIGNATURE = "Caisses Sociales de Monaco\nService des feuilles de soins électroniques\n"
GENERIC_REASON = "La feuille de soins ne remplit pas les conditions de prise en charge."

RIGHTS = {"RIGHTS_CLOSED", "BENEFICIARY_UNKNOWN", "CODE_FSE_INVALID"}
APPROVAL = {"APPROVAL_MISSING", "APPROVAL_PENDING", "APPROVAL_REFUSED"}

INSURED_ACTIONS = {
    "rights": (
        "Contactez votre caisse pour vérifier et mettre à jour vos droits (ou votre carte), puis demandez "
        "au professionnel de santé de transmettre à nouveau la feuille de soins."
    ),
    "approval": (
        "Rapprochez-vous du professionnel de santé au sujet de l'entente préalable ; votre caisse peut "
        "vous renseigner sur son état."
    ),
    "other": (
        "Les soins ne pourront pas être remboursés en l'état. Demandez au professionnel de santé de "
        "corriger et de transmettre à nouveau la feuille de soins, ou contactez votre caisse."
    ),
}
PROFESSIONAL_ACTIONS = {
    "rights": (
        "Le tiers payant (HNP) ne pourra pas être réglé par la caisse : les honoraires sont à recouvrer "
        "auprès du patient, qui doit régulariser ses droits auprès de sa caisse."
    ),
    "approval": (
        "Le tiers payant (HNP) ne pourra pas être réglé en l'état : vérifiez l'entente préalable, puis "
        "transmettez à nouveau la feuille de soins ou recouvrez les honoraires auprès du patient."
    ),
    "other": (
        "Le tiers payant (HNP) ne pourra pas être réglé en l'état : corrigez et transmettez à nouveau la "
        "feuille de soins, ou recouvrez les honoraires auprès du patient."
    ),
}


@dataclass(frozen=True)
class Notice:
    """What to tell, and to whom (a label naming the person, never an address)."""

    key: str
    audience: str
    recipient: str
    subject: str
    body: str


def reason_text(reason_code: str) -> str:
    return REASONS.get(reason_code, GENERIC_REASON)


def _family(reason_code: str) -> str:
    if reason_code in RIGHTS:
        return "rights"
    return "approval" if reason_code in APPROVAL else "other"


def rejection_key(event: ClaimRejectedV1) -> str:
    """One notice per rejected claim, whatever the redeliveries."""
    return f"rejection:{event.reference}"


def rejection_notice(event: ClaimRejectedV1) -> Notice:
    if event.notify is Notify.PROFESSIONAL:
        recipient = f"practitioner:{event.practitioner_id}"
        action = PROFESSIONAL_ACTIONS[_family(event.reason_code)]
    else:
        recipient = f"insured:{event.fund.value}:{event.matricule}:{event.beneficiary_rank}"
        action = INSURED_ACTIONS[_family(event.reason_code)]
    return Notice(
        key=rejection_key(event),
        audience=event.notify.value,
        recipient=recipient,
        subject=f"Feuille de soins {event.reference} rejetée",
        body=(
            f"Bonjour,\n\nLa feuille de soins électronique {event.reference} a été rejetée par la caisse "
            f"{event.fund.value}.\n\nMotif : {reason_text(event.reason_code)}\n\n"
            f"Que faire ? {action}\n\n{SIGNATURE}"
        ),
    )
