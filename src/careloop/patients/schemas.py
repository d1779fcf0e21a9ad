"""Patient shapes for the panel and the patient page (no I/O)."""

from __future__ import annotations

import re
from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from careloop.models.patient import AdministrativeGender, ContactMethod


class PanelFilter(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    q: str | None = Field(default=None, max_length=100, description="name: 'family', 'given', or 'family, given'")
    identifier: str | None = Field(default=None, max_length=100, description="an identifier value, e.g. an MRN")
    birth_date: date | None = None
    page: int = Field(default=1, ge=1, le=100000)
    size: int = Field(default=25, ge=1, le=200)


class IdentifierOut(BaseModel):
    system: str
    value: str
    type: str | None


class EncounterBrief(BaseModel):
    id: UUID
    class_code: str
    type_display: str | None
    status: str
    start: datetime
    end: datetime | None
    facility: str | None


class PanelRow(BaseModel):
    id: UUID
    name: str
    birth_date: date
    age: int
    gender: str
    mrn: str | None
    open_tasks: int
    overdue_tasks: int
    active_conditions: list[str]
    last_encounter: EncounterBrief | None
    next_encounter: EncounterBrief | None


class PanelPage(BaseModel):
    items: list[PanelRow]
    total: int
    page: int
    size: int


class ConditionOut(BaseModel):
    id: UUID
    code_system: str
    code: str
    display: str
    icd10: str | None
    category: str
    clinical_status: str
    onset_date: date | None


class MedicationOut(BaseModel):
    id: UUID
    rxnorm: str
    display: str
    status: str
    dosage: str | None
    authored_on: datetime


class EncounterOut(EncounterBrief):
    location: str | None
    reason: str | None
    discharge_disposition: str | None


class ObservationOut(BaseModel):
    id: UUID
    code: str
    display: str
    category: str
    effective_at: datetime
    value: str
    unit: str | None


class PatientOut(BaseModel):
    id: UUID
    family: str
    given: str
    name: str
    birth_date: date
    age: int
    gender: str
    deceased_at: datetime | None
    preferred_language: str
    interpreter_needed: bool
    phone: str | None
    email: str | None
    address: str | None
    contact_method: str
    contact_notes: str | None
    identifiers: list[IdentifierOut]


_PHONE = re.compile(r"^[0-9+()\-. ]{7,40}$")


class PatientContactUpdate(BaseModel):
    """What a coordinator corrects on the phone: how to reach the patient and in which language."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    preferred_language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    interpreter_needed: bool | None = None
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    contact_method: ContactMethod | None = None
    contact_notes: str | None = Field(default=None, max_length=500)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and not _PHONE.match(value):
            raise ValueError("a phone number has 7 to 40 digits, spaces, +, -, . or brackets")
        return value


class PatientGender(BaseModel):
    gender: AdministrativeGender
