"""Worked examples: claims priced by hand from the official table rows they cite. Each example names
the rows (file, key or code/activity/phase, value) its expected amounts are computed from; a test checks
that every cited value is in the shipped data, another that pricing gives the expected amounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from contracts.common import ActLine, CardColour, ClaimContent, Fund, Nomenclature, Profession
from services.tariff.adapters.shipped import shipped_versions
from services.tariff.domain.coverage import Coverage
from services.tariff.domain.nomenclature import Catalogue

DAY = date(2026, 3, 2)
NGAP_FILE, CCAM_FILE = "ngap_keys.csv", "ccam_v81_all_acts.csv"


def make_catalogue() -> Catalogue:
    return Catalogue(shipped_versions())


@dataclass(frozen=True)
class Cite:
    file: str
    code: str
    value: str
    activity: int = 1
    phase: int = 0


@dataclass(frozen=True)
class Amounts:
    total_base: str
    total_fee: str
    total_reimbursement: str
    patient_share: str
    paid_to_professional: str = "0.00"


@dataclass(frozen=True)
class Example:
    name: str
    cites: tuple[Cite, ...]
    claim: ClaimContent
    coverage: Coverage
    expected: Amounts | str  # the amounts, or the stable reason code of the refusal

    def figures(self) -> dict[str, Decimal] | str:
        if isinstance(self.expected, str):
            return self.expected
        return {k: Decimal(v) for k, v in self.expected.__dict__.items()}


def ngap(code: str, coefficient: str | None = "1", day: date = DAY, **extra: Any) -> ActLine:
    factor = Decimal(coefficient) if coefficient else None
    return ActLine(nomenclature=Nomenclature.NGAP, code=code, coefficient=factor, date_of_care=day, **extra)


def ccam(code: str, day: date = DAY, **extra: Any) -> ActLine:
    return ActLine(nomenclature=Nomenclature.CCAM, code=code, date_of_care=day, **extra)


def claim(fund: Fund, profession: Profession, *acts: ActLine, hnp: bool = False) -> ClaimContent:
    return ClaimContent(
        submission_id="example-00000001",
        fund=fund,
        matricule="100001",
        code_fse="A1B2C3",
        profession=profession,
        hnp=hnp,
        acts=list(acts),
    )


def cover(colour: CardColour, etm: bool = False, hnp: bool = False) -> Coverage:
    return Coverage(colour, etm, overrun_allowed=colour is not CardColour.VERTE, hnp_allowed=hnp)


CCSS, CAMTI, SPME = Fund.CCSS, Fund.CAMTI, Fund.SPME
MED, DENT, ODF = Profession.MEDECIN, Profession.CHIRURGIEN_DENTISTE, Profession.ORTHODONTISTE
IDE, KINE = Profession.INFIRMIER, Profession.MASSEUR_KINESITHERAPEUTE
VERTE, ROSE, BULLE = CardColour.VERTE, CardColour.ROSE, CardColour.BULLE
G = Cite(NGAP_FILE, "G", "30.00")
C = Cite(NGAP_FILE, "C", "23.00")
MN = Cite(NGAP_FILE, "MN", "35.00")
AMI = Cite(NGAP_FILE, "AMI", "3.15")
AIS = Cite(NGAP_FILE, "AIS", "2.65")
AMX = Cite(NGAP_FILE, "AMX", "3.15")
BSA = Cite(NGAP_FILE, "BSA", "13.00")
AMK = Cite(NGAP_FILE, "AMK", "2.21")
AMS = Cite(NGAP_FILE, "AMS", "2.21")
AMO = Cite(NGAP_FILE, "AMO", "2.60")
AMY = Cite(NGAP_FILE, "AMY", "2.60")
TO = Cite(NGAP_FILE, "TO", "2.15")
HBMD053 = Cite(CCAM_FILE, "HBMD053", "30.47")
HBMD038 = Cite(CCAM_FILE, "HBMD038", "68.12")
HBGD036 = Cite(CCAM_FILE, "HBGD036", "39.00")
HBLD038 = Cite(CCAM_FILE, "HBLD038", "120.00")
LBLD015 = Cite(CCAM_FILE, "LBLD015", "422.18")
AHQB033 = Cite(CCAM_FILE, "AHQB033", "149.30")
AHQB032 = Cite(CCAM_FILE, "AHQB032", "126.95")
AHQB027 = Cite(CCAM_FILE, "AHQB027", "51.84")
DEQP003 = Cite(CCAM_FILE, "DEQP003", "14.77")
HFFC018_ANESTHESIA = Cite(CCAM_FILE, "HFFC018", "225.75", activity=4)
