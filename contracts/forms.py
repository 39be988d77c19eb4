"""The forms stream (topic fse.forms): the three forms a professional fills in for the back office.

- sick-leave prescription (arrêt de travail, "IT"): the patient by matricule + code FSE, a contact
  (phone, address) for the fund's checks, the employer's part, and a confidential medical part;
- ETM request (exonération du ticket modérateur, full cover of a long-term condition) and
- invalidity admission: the patient by matricule + code FSE, or matricule + birth date.

The medical part is for the fund's medical adviser only."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from contracts import topics
from contracts.common import CodeFse, Frozen, Fund, Matricule
from contracts.envelope import Payload

Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 .]{6,20}$")]
SubmissionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{8,64}$")]
FormReference = Annotated[str, StringConstraints(pattern=r"^FRM-[0-9]{8}-[0-9A-Z]{10}$")]


class FormKind(StrEnum):
    SICK_LEAVE = "sick-leave"
    ETM = "etm"
    INVALIDITY = "invalidity"


class FormPatient(Frozen):
    fund: Fund
    matricule: Matricule
    beneficiary_rank: Annotated[int, Field(ge=0, le=20)] = 0
    code_fse: CodeFse | None = None
    birth_date: date | None = None

    @model_validator(mode="after")
    def identified(self) -> FormPatient:
        if self.code_fse is None and self.birth_date is None:
            raise ValueError("code_fse or birth_date is required with the matricule")
        return self


class Contact(Frozen):
    phone: Phone
    address: Annotated[str, StringConstraints(min_length=5, max_length=300, strip_whitespace=True)]


class SickLeaveWork(Frozen):
    """What the employer may know: the dates and whether the patient may go out."""

    initial: bool = True
    start_date: date
    end_date: date
    exits_allowed: bool = False
    exit_hours: Annotated[str, StringConstraints(max_length=100)] | None = None

    @model_validator(mode="after")
    def ordered(self) -> SickLeaveWork:
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        if (self.end_date - self.start_date).days > 366:
            raise ValueError("end_date more than a year after start_date")
        return self


class SickLeaveMedical(Frozen):
    diagnosis: Text
    justification: Text | None = None


class SickLeaveFormV1(Frozen):
    submission_id: SubmissionId
    patient: FormPatient
    contact: Contact
    work: SickLeaveWork
    medical: SickLeaveMedical

    @model_validator(mode="after")
    def by_code_fse(self) -> SickLeaveFormV1:
        if self.patient.code_fse is None:
            raise ValueError("patient.code_fse is required for a sick-leave prescription")
        return self


class EtmMedical(Frozen):
    condition: Text
    diagnosis: Text
    care_plan: Text


class EtmFormV1(Frozen):
    submission_id: SubmissionId
    patient: FormPatient
    requested_from: date
    medical: EtmMedical


class InvalidityMedical(Frozen):
    diagnosis: Text
    impairment: Text
    work_capacity_percent: Annotated[int, Field(ge=0, le=100)]


class InvalidityFormV1(Frozen):
    submission_id: SubmissionId
    patient: FormPatient
    incapacity_since: date
    medical: InvalidityMedical


class _FormSubmitted(Payload):
    topic: ClassVar[str] = topics.FORMS

    reference: FormReference
    practitioner_id: str
    entered_by: str
    created_at: AwareDatetime


class SickLeavePrescribedV1(_FormSubmitted):
    event_type: ClassVar[str] = "SickLeavePrescribed"
    schema_version: ClassVar[int] = 1

    form: SickLeaveFormV1


class EtmRequestedV1(_FormSubmitted):
    event_type: ClassVar[str] = "EtmRequested"
    schema_version: ClassVar[int] = 1

    form: EtmFormV1


class InvalidityAdmissionRequestedV1(_FormSubmitted):
    event_type: ClassVar[str] = "InvalidityAdmissionRequested"
    schema_version: ClassVar[int] = 1

    form: InvalidityFormV1
