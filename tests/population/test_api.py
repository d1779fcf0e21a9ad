"""The population JSON API behind the access check: a patient's scores with evidence and gaps, cohort counts
and lists limited to the caller's patients (and audited per patient shown), one-click enrollment, and
outreach tasks for gaps with one open task per gap."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from careloop import db
from careloop.access import system_actor
from careloop.models import (
    AuditEvent,
    CareTeamMember,
    CareTeamRole,
    Condition,
    Encounter,
    Patient,
    Task,
    TaskStatus,
    User,
)
from careloop.population.runner import run_population
from tests.conftest import BearerFor
from tests.factories import Personas, add_member, make_patient

AS_OF = datetime.now(UTC).date()


def _uuid(model: type, row_id: int) -> str:
    with db.unit_of_work() as s:
        row = s.get(model, row_id)
        assert row is not None
        return str(row.public_id)


@pytest.fixture
def scored(personas: Personas) -> int:
    """A high-risk patient (heart failure, COPD, CKD; discharged five days ago) whom the coordinator follows
    as care coordinator, not care manager; then a population run."""
    with db.unit_of_work() as s:
        hana = make_patient(s, "Sato", "Hana", birth_date=date(1944, 5, 1))
        coordinator = s.get(User, personas.coordinator_id)
        add_member(s, hana, CareTeamRole.care_coordinator, user=coordinator)
        for code in ("I509", "J449", "N184"):
            s.add(Condition(patient_id=hana.id, code_system="icd10", code=code, display=code, icd10=code,
                            clinical_status="active", onset_date=date(2020, 1, 1),
                            recorded_at=datetime(2020, 1, 1, tzinfo=UTC)))
        discharged = datetime.now(UTC) - timedelta(days=5)
        s.add(Encounter(patient_id=hana.id, status="finished", class_code="IMP",
                        period_start=discharged - timedelta(days=4), period_end=discharged,
                        discharge_disposition="home"))
        hana_id = hana.id
    run_population(system_actor(), as_of=AS_OF)
    return hana_id


def test_patient_scores_come_with_evidence_and_gaps(client: TestClient, personas: Personas, scored: int,
                                                    bearer_for: BearerFor) -> None:
    response = client.get(f"/api/v1/patients/{_uuid(Patient, scored)}/population",
                          headers=bearer_for(personas.coordinator_id))
    assert response.status_code == 200, response.text
    body = response.json()
    scores = body["scores"]
    assert scores["charlson_quan2011"] == 2 + 1 + 1 and scores["risk_tier"] == "high"
    assert {e["code"] for e in scores["charlson_evidence"]} == {"I509", "J449", "N184"}
    assert scores["hcc_v28"] > 0 and any(f["kind"] == "hcc" for f in scores["hcc_evidence"])
    assert scores["lace"] is not None and "discharged" in scores["lace_evidence"]
    followup = next(g for g in body["gaps"] if g["measure"] == "followup_7d")
    assert followup["status"] == "open" and followup["source"].startswith("NCQA") and followup["period"]
    assert {"heart_failure", "copd", "ckd"} <= {c["cohort"] for c in body["cohorts"]}
    assert body["run"]["as_of"] == AS_OF.isoformat()


def test_outsider_is_refused_a_patients_scores(client: TestClient, personas: Personas, scored: int,
                                               bearer_for: BearerFor) -> None:
    response = client.get(f"/api/v1/patients/{_uuid(Patient, scored)}/population",
                          headers=bearer_for(personas.outsider_id))
    assert response.status_code == 403 and "Sato" not in response.text


def test_counts_and_lists_hold_only_my_patients(client: TestClient, personas: Personas, scored: int,
                                                bearer_for: BearerFor) -> None:
    mine = client.get("/api/v1/population/patients", headers=bearer_for(personas.coordinator_id)).json()
    theirs = client.get("/api/v1/population/patients", headers=bearer_for(personas.outsider_id)).json()
    assert {r["name"] for r in mine["rows"]} == {"Rivera, Ana", "Sato, Hana"}
    assert {r["name"] for r in theirs["rows"]} == {"Okafor, Ben"}
    assert mine["rows"][0]["name"] == "Sato, Hana"  # sorted by RAF, highest first
    cohorts = client.get("/api/v1/population/cohorts", headers=bearer_for(personas.outsider_id)).json()
    assert next(c for c in cohorts["cohorts"] if c["cohort"] == "heart_failure")["patients"] == 0
    with db.unit_of_work() as s:
        listed = s.scalars(select(AuditEvent.patient_id).where(AuditEvent.action == "population.list",
                                                               AuditEvent.actor_id == personas.coordinator_id)).all()
    assert set(listed) == {personas.patient_id, scored}


def test_filters_by_cohort_and_tier(client: TestClient, personas: Personas, scored: int,
                                    bearer_for: BearerFor) -> None:
    headers = bearer_for(personas.coordinator_id)
    by_cohort = client.get("/api/v1/population/patients?cohort=copd", headers=headers).json()
    by_tier = client.get("/api/v1/population/patients?tier=low&sort=open_gaps", headers=headers).json()
    assert [r["name"] for r in by_cohort["rows"]] == ["Sato, Hana"]
    assert [r["name"] for r in by_tier["rows"]] == ["Rivera, Ana"]
    assert client.get("/api/v1/population/patients?sort=nope", headers=headers).status_code == 422


def test_worklist_and_one_click_enroll(client: TestClient, personas: Personas, scored: int,
                                       bearer_for: BearerFor) -> None:
    headers = bearer_for(personas.coordinator_id)
    worklist = client.get("/api/v1/population/worklist", headers=headers).json()
    assert [r["name"] for r in worklist["rows"]] == ["Sato, Hana"]  # Rivera already has a care manager
    enrolled = client.post(f"/api/v1/patients/{_uuid(Patient, scored)}/population/enroll", json={}, headers=headers)
    assert enrolled.status_code == 201, enrolled.text
    assert [t["type"] for t in enrolled.json()] == ["assessment", "care-plan-review"]
    with db.unit_of_work() as s:
        managers = s.scalars(select(CareTeamMember.user_id).where(
            CareTeamMember.patient_id == scored, CareTeamMember.role == CareTeamRole.rn_care_manager)).all()
    assert managers == [personas.coordinator_id]
    assert client.get("/api/v1/population/worklist", headers=headers).json()["rows"] == []
    again = client.post(f"/api/v1/patients/{_uuid(Patient, scored)}/population/enroll", json={}, headers=headers)
    assert again.status_code == 409


def test_gap_becomes_one_outreach_task(client: TestClient, personas: Personas, scored: int,
                                       bearer_for: BearerFor) -> None:
    headers = bearer_for(personas.coordinator_id)
    url = f"/api/v1/patients/{_uuid(Patient, scored)}/population/gap-task"
    discharge = (datetime.now(UTC) - timedelta(days=5)).date().isoformat()
    first = client.post(url, json={"measure": "followup_7d", "event_date": discharge}, headers=headers)
    second = client.post(url, json={"measure": "followup_7d", "event_date": discharge}, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["created"] is True and second.json() == {**first.json(), "created": False}
    with db.unit_of_work() as s:
        task = s.scalars(select(Task).where(Task.patient_id == scored, Task.type == "outreach")).one()
        assert task.priority == "urgent" and "discharged" in (task.description or "")
        task.status = TaskStatus.completed  # once done, the gap may get a new task if it is still open
    third = client.post(url, json={"measure": "followup_7d", "event_date": discharge}, headers=headers)
    assert third.json()["created"] is True


def test_gap_task_for_a_gap_that_is_not_open_is_404(client: TestClient, personas: Personas, scored: int,
                                                   bearer_for: BearerFor) -> None:
    url = f"/api/v1/patients/{_uuid(Patient, scored)}/population/gap-task"
    response = client.post(url, json={"measure": "cbp"}, headers=bearer_for(personas.coordinator_id))
    assert response.status_code == 404
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Task).where(Task.patient_id == scored)) == 0


def test_before_the_first_run_there_is_nothing_yet(client: TestClient, personas: Personas,
                                                   bearer_for: BearerFor) -> None:
    headers = bearer_for(personas.coordinator_id)
    body = client.get(f"/api/v1/patients/{_uuid(Patient, personas.patient_id)}/population", headers=headers).json()
    assert body == {"run": None, "scores": None, "gaps": [], "cohorts": []}
    assert client.get("/api/v1/population/worklist", headers=headers).json()["rows"] == []
