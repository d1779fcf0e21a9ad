"""An Observation written through /fhir/R4 is announced (observation.recorded), so the goals of the patient's care
plan follow it as soon as the worker runs, not at the nightly sweep."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from careloop import db
from careloop.careplans import service as careplans
from careloop.clock import utcnow
from careloop.jobs_registry import build_registry
from careloop.models import Goal, Observation, OutboxEvent, Patient
from careloop.worker.runner import Worker
from tests.integrations.fhir.api.conftest import BASE, FRANKIE, Imported, TokenFor

WRITE = "user/*.read user/*.write"


def hba1c(value: float) -> dict[str, Any]:
    return {
        "resourceType": "Observation", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "laboratory"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4", "display": "Hemoglobin A1c"}]},
        "subject": {"reference": f"Patient/{FRANKIE}"},
        "effectiveDateTime": utcnow().replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "valueQuantity": {"value": value, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"},
    }


def hba1c_goal_status(patient_id: int) -> str | None:
    with db.unit_of_work() as s:
        return s.scalars(select(Goal.achievement_status).where(Goal.description == "HbA1c below 8 %",
                                                               Goal.patient_id == patient_id)).one()


def test_an_observation_posted_through_fhir_moves_the_goal(client: TestClient, imported: Imported,
                                                           token_for: TokenFor) -> None:
    with db.unit_of_work() as s:
        patient = s.get(Patient, imported.patient_id)
        assert patient is not None
        plan = careplans.apply_template_to_patient(s, imported.personas.actor(s, imported.personas.coordinator_id),
                                                   patient.public_id, "diabetes")
        assert plan.kind is not None
    assert hba1c_goal_status(imported.patient_id) == "in-progress"  # Frankie has no HbA1c yet
    response = client.post(BASE + "/Observation", json=hba1c(6.4),
                           headers=token_for(imported.personas.coordinator_id, WRITE))
    assert response.status_code == 201, response.text
    with db.unit_of_work() as s:
        event = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "observation.recorded")).one()
        written = s.scalars(select(Observation.id).where(Observation.patient_id == imported.patient_id,
                                                         Observation.value_num == 6.4)).all()
        assert event.payload == {"patient_id": imported.patient_id, "observation_ids": list(written),
                                 "codes": ["4548-4"]}
    Worker(build_registry(), worker_id="test").drain()
    assert hba1c_goal_status(imported.patient_id) == "achieved"
