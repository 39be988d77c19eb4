"""The three forms as the claims service keeps them: a reference, what anyone entitled may read, the
medical part kept apart for the medical adviser, and the employer's copy of a sick-leave prescription,
built from the work part only so that no medical information can reach it."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from datetime import datetime

from contracts.forms import EtmFormV1, FormKind, FormPatient, InvalidityFormV1, SickLeaveFormV1, SickLeaveWork
from services.claims.domain.deadlines import MONACO
from services.claims.domain.history import excel_date

Form = SickLeaveFormV1 | EtmFormV1 | InvalidityFormV1
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_form_reference(created_at: datetime) -> str:
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"FRM-{created_at.astimezone(MONACO):%Y%m%d}-{suffix}"


def form_digest(form: Form) -> str:
    canonical = json.dumps(form.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def kind_of(form: Form) -> FormKind:
    if isinstance(form, SickLeaveFormV1):
        return FormKind.SICK_LEAVE
    return FormKind.ETM if isinstance(form, EtmFormV1) else FormKind.INVALIDITY


def administrative_part(form: Form) -> dict[str, object]:
    """Everything but the patient's identifiers and the medical part."""
    return form.model_dump(mode="json", exclude={"medical", "patient", "submission_id"})


def employer_certificate(
    reference: str, patient: FormPatient, work: SickLeaveWork, practitioner_id: str
) -> tuple[str, Sequence[str]]:
    """Title and paragraphs of the employer's copy: who, from when to when, exits; never why."""
    kind = "initial" if work.initial else "de prolongation"
    exits = "autorisées" if work.exits_allowed else "non autorisées"
    if work.exits_allowed and work.exit_hours:
        exits += f" ({work.exit_hours})"
    return (
        "Avis d'arrêt de travail - volet employeur",
        (
            f"Référence : {reference}",
            f"Assuré : matricule {patient.matricule} ({patient.fund.value}), rang {patient.beneficiary_rank}",
            f"Arrêt {kind} du {excel_date(work.start_date)} au {excel_date(work.end_date)} inclus.",
            f"Sorties : {exits}.",
            f"Prescrit par le praticien {practitioner_id}.",
            "Ce volet ne contient aucune information médicale.",
        ),
    )
