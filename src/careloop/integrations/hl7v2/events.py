"""The contract between the ADT feed and whoever reacts to it (the pathway engine in `transitions`).

After the worker applies an ADT message to an encounter it emits one outbox event (careloop.worker.events.emit)
in the same transaction, with one of the types below and a payload built by `encounter_event`. Keep these
names and keys stable: subscribers match on them. docs/ARCHITECTURE.md ("HL7 v2 ADT feed") documents them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, TypedDict

ENCOUNTER_ADMITTED = "encounter.admitted"  # A01 (not emergency); A06 outpatient -> inpatient
ENCOUNTER_ED_VISIT = "encounter.ed_visit"  # A04, or A01 with class emergency
ENCOUNTER_TRANSFERRED = "encounter.transferred"  # A02
ENCOUNTER_DISCHARGED = "encounter.discharged"  # A03
ENCOUNTER_UPDATED = "encounter.updated"  # A08, A07
ENCOUNTER_EVENT_CANCELLED = "encounter.event_cancelled"  # A11 cancel admit, A12 cancel transfer, A13 cancel discharge

ENCOUNTER_EVENT_TYPES = (
    ENCOUNTER_ADMITTED,
    ENCOUNTER_ED_VISIT,
    ENCOUNTER_TRANSFERRED,
    ENCOUNTER_DISCHARGED,
    ENCOUNTER_UPDATED,
    ENCOUNTER_EVENT_CANCELLED,
)

EncounterClassName = Literal["inpatient", "emergency", "observation", "outpatient"]


class EncounterEventPayload(TypedDict):
    event_key: str  # unique and stable: the same message always gives the same key
    patient_id: int  # patients.id
    encounter_id: int  # encounters.id
    encounter_class: EncounterClassName
    facility: str | None
    location: str | None
    occurred_at: str  # ISO-8601 UTC
    admitted_at: str | None
    discharged_at: str | None
    discharge_disposition: str | None  # http://terminology.hl7.org/CodeSystem/discharge-disposition code
    admission_type: str | None  # PV1-4 (HL7 table 0007) as sent
    cancelled_event_key: str | None  # only for encounter.event_cancelled: the event_key it undoes


def event_key(sending_facility: str, control_id: str) -> str:
    """The event key of the message MSH-10 `control_id` from MSH-4 `sending_facility` (unique per sender)."""
    return f"hl7:{sending_facility}:{control_id}"


def iso_utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("naive datetime in an encounter event; give aware UTC times")
    return moment.astimezone(UTC).isoformat()


def encounter_event(
    *,
    event_key: str,
    patient_id: int,
    encounter_id: int,
    encounter_class: EncounterClassName,
    occurred_at: datetime,
    facility: str | None = None,
    location: str | None = None,
    admitted_at: datetime | None = None,
    discharged_at: datetime | None = None,
    discharge_disposition: str | None = None,
    admission_type: str | None = None,
    cancelled_event_key: str | None = None,
) -> EncounterEventPayload:
    """Build the payload every encounter event carries (times as ISO-8601 UTC strings)."""
    occurred = iso_utc(occurred_at)
    assert occurred is not None
    return {
        "event_key": event_key,
        "patient_id": patient_id,
        "encounter_id": encounter_id,
        "encounter_class": encounter_class,
        "facility": facility,
        "location": location,
        "occurred_at": occurred,
        "admitted_at": iso_utc(admitted_at),
        "discharged_at": iso_utc(discharged_at),
        "discharge_disposition": discharge_disposition,
        "admission_type": admission_type,
        "cancelled_event_key": cancelled_event_key,
    }
