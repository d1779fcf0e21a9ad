"""Arranging care-plan tests: a chart with concerns, readings, and the API's plan in a few calls."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from careloop import db
from careloop.careplans import service as careplans
from careloop.careplans.schemas import EntryIn, EntryKind
from careloop.clock import utcnow
from careloop.models import Condition, Observation, Patient
from tests.factories import Personas


def add_concerns(patient_id: int) -> dict[str, str]:
    now = utcnow()
    with db.unit_of_work() as s:
        rows = {
            "diabetes": Condition(patient_id=patient_id, code_system="icd10cm", code="E119", icd10="E119",
                                  display="Type 2 diabetes mellitus", clinical_status="active", recorded_at=now),
            "food": Condition(patient_id=patient_id, code_system="snomed", code="733423003",
                              display="Food insecurity", category="health-concern", clinical_status="active",
                              recorded_at=now),
        }
        s.add_all(rows.values())
        s.flush()
        return {k: str(v.public_id) for k, v in rows.items()}


def reading(patient_id: int, code: str, value: float, at: datetime | None = None) -> None:
    with db.unit_of_work() as s:
        s.add(Observation(patient_id=patient_id, category="vital-signs", code=code, display=code,
                          effective_at=at or utcnow(), value_num=value))


def patient_uuid(patient_id: int) -> str:
    with db.unit_of_work() as s:
        patient = s.get(Patient, patient_id)
        assert patient is not None
        return str(patient.public_id)


def days_ago(n: int) -> datetime:
    return utcnow() - timedelta(days=n)


def apply(client: TestClient, headers: dict[str, str], patient_id: int, template: str = "diabetes") -> Any:
    response = client.post(f"/api/v1/patients/{patient_uuid(patient_id)}/care-plans/apply-template",
                           json={"template_id": template}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def care_plan_ids(personas: Personas) -> dict[str, object]:
    """A diabetes plan on the patient, with a barrier, for the route walks (plan, HbA1c goal and entry ids)."""
    with db.unit_of_work() as s:
        patient = s.get(Patient, personas.patient_id)
        assert patient is not None
        cora = personas.actor(s, personas.coordinator_id)
        plan = careplans.apply_template_to_patient(s, cora, patient.public_id, "diabetes")
        plan = careplans.add_entry(s, cora, plan.public_id, EntryIn(version=plan.version, kind=EntryKind.barrier,
                                                                   text="No car"))
        return {"plan_id": plan.public_id, "goal_id": plan.goal_links[0].goal.public_id,
                "entry_id": plan.entries[0].public_id}
