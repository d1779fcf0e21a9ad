"""The panel (my patients, searchable, with what needs attention) and the patient record."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from careloop import db
from careloop.clock import utcnow
from careloop.models import (
    AuditEvent,
    Condition,
    Encounter,
    EncounterClass,
    EncounterStatus,
    Observation,
    Patient,
    User,
)
from tests.conftest import BearerFor
from tests.factories import Personas, make_task


def _add_chart(personas: Personas) -> None:
    now = utcnow()
    with db.unit_of_work() as s:
        pid = personas.patient_id
        s.add_all([
            Condition(patient_id=pid, code_system="ICD10CM", code="I5022", icd10="I5022",
                      display="Chronic systolic heart failure", clinical_status="active", recorded_at=now),
            Condition(patient_id=pid, code_system="ICD10CM", code="J449", icd10="J449", display="COPD",
                      clinical_status="resolved", recorded_at=now),
            Encounter(patient_id=pid, status=EncounterStatus.finished, class_code=EncounterClass.inpatient,
                      period_start=now - timedelta(days=10), period_end=now - timedelta(days=6),
                      facility="General Hospital", discharge_disposition="home"),
            Encounter(patient_id=pid, status=EncounterStatus.planned, class_code=EncounterClass.ambulatory,
                      period_start=now + timedelta(days=3), type_display="Follow-up visit"),
            Observation(patient_id=pid, category="vital-signs", code="8480-6", display="Systolic blood pressure",
                        panel_code="85354-9", effective_at=now - timedelta(days=6), value_num=148, unit="mm[Hg]"),
        ])
        patient, owner = s.get(Patient, pid), s.get(User, personas.coordinator_id)
        make_task(s, patient, owner=owner, due_in=timedelta(days=-1))
        make_task(s, patient, owner=owner, due_in=timedelta(days=2))


def test_panel_row_shows_what_needs_attention(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    _add_chart(personas)
    body = client.get("/api/v1/patients", headers=bearer_for(personas.coordinator_id)).json()
    assert body["total"] == 1
    row = body["items"][0]
    assert (row["name"], row["open_tasks"], row["overdue_tasks"]) == ("Rivera, Ana", 2, 1)
    assert row["active_conditions"] == ["Chronic systolic heart failure"]
    assert row["last_encounter"]["class_code"] == "IMP"
    assert row["next_encounter"]["type_display"] == "Follow-up visit"
    assert row["mrn"].startswith("MRN")


def test_panel_search_by_name_identifier_and_birth_date(client: TestClient, personas: Personas,
                                                         bearer_for: BearerFor) -> None:
    headers = bearer_for(personas.coordinator_id)
    assert client.get("/api/v1/patients?q=rivera, a", headers=headers).json()["total"] == 1
    assert client.get("/api/v1/patients?q=ana", headers=headers).json()["total"] == 1
    assert client.get("/api/v1/patients?q=okafor", headers=headers).json()["total"] == 0  # not my patient
    assert client.get(f"/api/v1/patients?identifier=MRN{personas.patient_id:06d}", headers=headers).json()["total"] == 1
    assert client.get("/api/v1/patients?birth_date=1948-03-14", headers=headers).json()["total"] == 1
    assert client.get("/api/v1/patients?birth_date=1948-03-15", headers=headers).json()["total"] == 0


def test_bad_search_input_is_explained(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    response = client.get("/api/v1/patients?birth_date=14/03/1948", headers=bearer_for(personas.coordinator_id))
    assert response.status_code == 422
    assert "birth_date" in response.json()["error"]["message"]


def test_panel_audits_each_patient_shown(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    client.get("/api/v1/patients", headers=bearer_for(personas.coordinator_id))
    with db.unit_of_work() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.action == "panel.view")).all()
        assert [(r.patient_id, r.outcome) for r in rows] == [(personas.patient_id, "allowed")]


def test_patient_record_has_every_section(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    _add_chart(personas)
    with db.unit_of_work() as s:
        patient = s.get(Patient, personas.patient_id)
        assert patient is not None
        url = f"/api/v1/patients/{patient.public_id}"
    record = client.get(url, headers=bearer_for(personas.coordinator_id)).json()
    assert record["patient"]["preferred_language"] == "es"
    assert record["patient"]["birth_date"] == date(1948, 3, 14).isoformat()
    assert {m["role"] for m in record["care_team"]} == {"rn-care-manager", "social-worker", "family-caregiver"}
    assert [c["display"] for c in record["conditions"]] == ["Chronic systolic heart failure"]
    assert [e["class_code"] for e in record["encounters"]] == ["AMB", "IMP"]
    assert record["observations"][0]["value"] == "148"
    assert len(record["open_tasks"]) == 2 and record["open_tasks"][0]["overdue"] is True


def test_contact_update_validates_and_saves(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    headers = bearer_for(personas.coordinator_id)
    with db.unit_of_work() as s:
        patient = s.get(Patient, personas.patient_id)
        assert patient is not None
        url = f"/api/v1/patients/{patient.public_id}/contact"
    bad = client.patch(url, json={"phone": "call me", "contact_method": "pigeon"}, headers=headers)
    assert bad.status_code == 422 and "phone" in bad.text and "contact_method" in bad.text
    good = client.patch(url, json={"phone": "+1 555 010 2000", "contact_method": "sms", "interpreter_needed": True},
                        headers=headers)
    assert good.status_code == 200
    assert (good.json()["phone"], good.json()["contact_method"], good.json()["interpreter_needed"]) == (
        "+1 555 010 2000", "sms", True)
