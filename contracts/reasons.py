"""Stable reason codes a person can read. Codes never change meaning; new ones are added."""

from typing import Final

REASONS: Final[dict[str, str]] = {
    "BENEFICIARY_UNKNOWN": "Bénéficiaire inconnu de la caisse pour ce matricule et ce rang.",
    "CODE_FSE_INVALID": "Le code FSE ne correspond pas à la carte en cours de validité.",
    "RIGHTS_CLOSED": "Les droits du bénéficiaire ne sont pas ouverts à la date des soins.",
    "APPROVAL_MISSING": "Un acte exige une entente préalable qui n'a pas été demandée.",
    "APPROVAL_PENDING": "L'entente préalable exigée est en attente de décision.",
    "APPROVAL_REFUSED": "L'entente préalable exigée a été refusée.",
    "ACT_UNKNOWN": "Acte inconnu de la nomenclature à la date des soins.",
    "ACT_NOT_BILLABLE_BY_PROFESSION": "Acte non facturable par cette profession.",
    "ACT_INVALID_ACTIVITY_OR_PHASE": "Activité ou phase invalide pour cet acte CCAM.",
    "COEFFICIENT_OUT_OF_RANGE": "Coefficient NGAP absent ou hors des limites.",
    "FEE_ABOVE_MAXIMUM": "Honoraires au-dessus du maximum autorisé pour cette catégorie de carte.",
    "OVERRUN_FORBIDDEN": "La catégorie de carte (verte) n'autorise aucun dépassement du tarif.",
    "HNP_NOT_ALLOWED": "Le tiers payant (HNP) n'est pas ouvert pour cette catégorie de carte.",
    "MODIFIER_NOT_ALLOWED": "Modificateur non autorisé pour cet acte CCAM.",
    "DEADLINE_EXCEEDED": "FSE transmise hors délai.",
    "ACT_IN_FUTURE": "Date de soins dans le futur.",
}


def describe(code: str) -> str:
    return REASONS.get(code, code)
