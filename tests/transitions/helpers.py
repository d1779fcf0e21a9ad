"""Encounters and encounter events for the pathway, transition and reconciliation tests: the events go through
the real outbox and the real worker, as the HL7 feed's will."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from careloop import db
from careloop.jobs_registry import build_registry
from careloop.models import Encounter, EncounterClass, EncounterStatus
from careloop.worker import emit
from careloop.worker.runner import Worker

CLASS_CODES = {"inpatient": EncounterClass.inpatient, "observation": EncounterClass.observation,
               "emergency": EncounterClass.emergency, "outpatient": EncounterClass.ambulatory}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def make_stay(patient_id: int, admitted: str, discharged: str | None = None, *, klass: str = "inpatient",
              disposition: str | None = "home", facility: str = "St Mary's Hospital",
              reason_code: str | None = None) -> int:
    with db.unit_of_work() as s:
        stay = Encounter(patient_id=patient_id, class_code=CLASS_CODES[klass],
                         status=EncounterStatus.finished if discharged else EncounterStatus.in_progress,
                         period_start=at(admitted), period_end=at(discharged) if discharged else None,
                         facility=facility, discharge_disposition=disposition if discharged else None,
                         reason_code=reason_code)
        s.add(stay)
        s.flush()
        return stay.id


def event(kind: str, key: str, patient_id: int, encounter_id: int | None, *, klass: str = "inpatient",
          occurred: str = "2026-11-20T15:00:00Z", admitted: str | None = "2026-11-17T09:00:00Z",
          discharged: str | None = None, disposition: str | None = None, admission_type: str | None = None,
          facility: str | None = "St Mary's Hospital", cancels: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event_key": key, "patient_id": patient_id, "encounter_id": encounter_id, "encounter_class": klass,
        "facility": facility, "location": "4 West", "occurred_at": occurred, "admitted_at": admitted,
        "discharged_at": discharged, "discharge_disposition": disposition, "admission_type": admission_type}
    if cancels is not None:
        payload["cancelled_event_key"] = cancels
    return {"type": f"encounter.{kind}", "payload": payload}


def send(*events: dict[str, Any]) -> None:
    """Emit through the outbox in one transaction, as a message's application would, then run the worker."""
    with db.unit_of_work() as s:
        for e in events:
            emit(s, e["type"], e["payload"])
    run_worker()


def run_worker() -> None:
    Worker(build_registry(), worker_id="test").drain()


def discharge_home(patient_id: int, key: str = "adt:stmarys:1001:A03", *, discharged: str = "2026-11-20T15:00:00Z",
                   disposition: str = "home", klass: str = "inpatient") -> int:
    """An inpatient stay 17-20 Nov 2026 (a Friday discharge) and its discharge event; the encounter id."""
    stay = make_stay(patient_id, "2026-11-17T09:00:00Z", discharged, klass=klass, disposition=disposition)
    send(event("discharged", key, patient_id, stay, klass=klass, occurred=discharged, discharged=discharged,
               disposition=disposition))
    return stay
