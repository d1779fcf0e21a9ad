"""Transition inputs and outputs (no I/O)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from careloop.clock import require_timezone
from careloop.transitions.tcm import Complexity


class ChecklistCode(StrEnum):
    """The discharge checklist, in the order it is shown."""

    discharge_summary = "discharge-summary"
    follow_up_booked = "follow-up-booked"
    medications_reconciled = "medications-reconciled"  # completed by the reconciliation, not by hand
    home_services = "home-services"
    red_flags_taught = "red-flags-taught"


CHECKLIST_LABELS = {
    ChecklistCode.discharge_summary: "Discharge summary received",
    ChecklistCode.follow_up_booked: "Follow-up visit booked",
    ChecklistCode.medications_reconciled: "Medications reconciled",
    ChecklistCode.home_services: "Home health and equipment arranged",
    ChecklistCode.red_flags_taught: "Patient and caregiver taught the red flags",
}


class ContactMethod(StrEnum):
    phone = "phone"
    video = "video"
    in_person = "in-person"
    portal = "portal"
    text = "text"


class ContactWith(StrEnum):
    patient = "patient"
    caregiver = "caregiver"


class ContactOutcome(StrEnum):
    reached = "reached"
    no_answer = "no-answer"
    left_message = "left-message"
    wrong_number = "wrong-number"


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    at: datetime | None = Field(default=None, description="when it happened; now if left out")
    method: ContactMethod
    with_whom: ContactWith = ContactWith.patient
    outcome: ContactOutcome
    note: str | None = Field(default=None, max_length=1000)

    _tz = field_validator("at")(require_timezone)


class ChecklistIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    done: bool
    note: str | None = Field(default=None, max_length=500)


class ComplexityIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    complexity: Complexity
    reason: str = Field(min_length=1, max_length=300)


class VisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime

    _tz = field_validator("at")(require_timezone)


class Deadline(BaseModel):
    due: date
    met_at: datetime | None
    state: str = Field(description="met, late (met after the deadline), overdue, or open")


class ChecklistOut(BaseModel):
    code: ChecklistCode
    label: str
    done: bool
    done_at: datetime | None
    done_by: str | None
    note: str | None


class ContactOut(BaseModel):
    id: UUID
    at: datetime
    method: str
    with_whom: str
    outcome: str
    by: str | None
    note: str | None


class ReadmissionOut(BaseModel):
    id: UUID
    patient_id: UUID
    index_encounter_id: UUID
    readmission_encounter_id: UUID
    index_discharged_at: datetime | None
    readmitted_at: datetime
    days_after_discharge: int
    planned: bool
    planned_reason: str | None
    episode_id: UUID | None
    status: str


class EpisodeSummary(BaseModel):
    id: UUID
    status: str
    facility: str | None
    discharged_at: datetime
    discharge_disposition: str | None
    complexity: Complexity
    contact: Deadline
    visit: Deadline
    medication_reconciliation: Deadline


class TaskRef(BaseModel):
    id: UUID
    title: str
    type: str
    status: str
    due_at: datetime | None


class EpisodeOut(EpisodeSummary):
    patient_id: UUID
    pathway: str
    pathway_version: int
    status_reason: str | None
    from_class: str
    discharge_date: date
    complexity_reason: str
    period_end: date
    contact_met_by: str | None
    checklist: list[ChecklistOut]
    contacts: list[ContactOut]
    tasks: list[TaskRef]
    readmissions: list[ReadmissionOut]


class PatientTransitions(BaseModel):
    episodes: list[EpisodeSummary]
    readmissions: list[ReadmissionOut]
