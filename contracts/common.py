"""Value types shared by several streams."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Matricule = Annotated[str, StringConstraints(pattern=r"^[0-9]{5,12}$")]
CodeFse = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{6,10}$")]
ClaimReference = Annotated[str, StringConstraints(pattern=r"^FSE-[0-9]{8}-[0-9A-Z]{10}$")]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]


class Fund(StrEnum):
    """The Caisses Sociales de Monaco funds: salaried (CCSS), self-employed (CAMTI), state (SPME)."""

    CCSS = "CCSS"
    CAMTI = "CAMTI"
    SPME = "SPME"


class Profession(StrEnum):
    MEDECIN = "medecin"
    CHIRURGIEN_DENTISTE = "chirurgien-dentiste"
    ORTHODONTISTE = "orthodontiste"
    INFIRMIER = "infirmier"
    MASSEUR_KINESITHERAPEUTE = "masseur-kinesitherapeute"
    ORTHOPHONISTE = "orthophoniste"
    ORTHOPTISTE = "orthoptiste"


class CardColour(StrEnum):
    """Household category on the insured's card, set yearly from the family quotient."""

    VERTE = "verte"
    ROSE = "rose"
    BULLE = "bulle"


class Nomenclature(StrEnum):
    NGAP = "NGAP"
    CCAM = "CCAM"


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActLine(Frozen):
    """One coded act as the professional entered it."""

    nomenclature: Nomenclature
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,9}$")]
    date_of_care: date
    coefficient: Annotated[Decimal, Field(gt=0, le=1000, max_digits=7, decimal_places=2)] | None = None
    activity: Annotated[int, Field(ge=1, le=5)] | None = None
    phase: Annotated[int, Field(ge=0, le=9)] | None = None
    modifiers: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]$")]], Field(max_length=4)
    ] = []
    majorations: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,9}$")]], Field(max_length=4)
    ] = []
    fee: Money | None = None
    weighting: Annotated[Decimal, Field(ge=1, le=10, max_digits=5, decimal_places=3)] | None = None
    approval_reference: Annotated[str, StringConstraints(max_length=40)] | None = None
    session: Annotated[int, Field(ge=1, le=20)] | None = None  # séance number within the date of care


class ClaimContent(Frozen):
    """What a professional transmits for one FSE: the patient's identifiers and the acts."""

    submission_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{8,64}$")]
    fund: Fund
    matricule: Matricule
    code_fse: CodeFse
    beneficiary_rank: Annotated[int, Field(ge=0, le=20)] = 0
    profession: Profession
    hnp: bool = False
    series: bool = False
    acts: Annotated[list[ActLine], Field(min_length=1, max_length=50)]
