"""The encounter events the engine understands (the contract with the HL7 v2 feed, FHIR import or any other
source that emits them through careloop.worker.events), parsed and checked at the edge."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from careloop.clock import require_timezone

ADMITTED = "encounter.admitted"
ED_VISIT = "encounter.ed_visit"
TRANSFERRED = "encounter.transferred"
DISCHARGED = "encounter.discharged"
UPDATED = "encounter.updated"
CANCELLED = "encounter.event_cancelled"
ENCOUNTER_EVENTS = (ADMITTED, ED_VISIT, TRANSFERRED, DISCHARGED, UPDATED, CANCELLED)


class EventClass(StrEnum):
    inpatient = "inpatient"
    emergency = "emergency"
    observation = "observation"
    outpatient = "outpatient"


class EncounterEvent(BaseModel):
    """One encounter event. Extra keys (the outbox's event_id and event_type, a source's own fields) are
    ignored: the engine reads only what the contract names."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: str
    event_key: str = Field(min_length=1, max_length=200)
    patient_id: int = Field(ge=1)
    encounter_id: int | None = Field(default=None, ge=1)
    encounter_class: EventClass | None = None
    facility: str | None = Field(default=None, max_length=200)
    location: str | None = Field(default=None, max_length=200)
    occurred_at: datetime
    admitted_at: datetime | None = None
    discharged_at: datetime | None = None
    discharge_disposition: str | None = Field(default=None, max_length=16)
    admission_type: str | None = Field(default=None, max_length=8)
    cancelled_event_key: str | None = Field(default=None, min_length=1, max_length=200)

    _tz = field_validator("occurred_at", "admitted_at", "discharged_at")(require_timezone)

    @field_validator("event_type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in ENCOUNTER_EVENTS:
            raise ValueError(f"not an encounter event; one of: {', '.join(ENCOUNTER_EVENTS)}")
        return value

    @model_validator(mode="after")
    def _cancel_names_its_event(self) -> EncounterEvent:
        if self.event_type == CANCELLED and self.cancelled_event_key is None:
            raise ValueError("an encounter.event_cancelled event must name cancelled_event_key")
        if self.event_type != CANCELLED and self.encounter_id is None:
            raise ValueError(f"an {self.event_type} event must name its encounter_id")
        return self
