"""The episode through the JSON API: the clock, contacts (two failed attempts count), the checklist, the
complexity, the visit; outsiders refused; bad input refused without changing anything."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from careloop import db
from careloop.models import AuditEvent, ContactAttempt, Task, TaskStatus, TransitionEpisode
from tests.conftest import BearerFor
from tests.factories import Personas
from tests.transitions.helpers import discharge_home


def episode_id(personas: Personas) -> str:
    """Discharged home on Friday 13 Nov 2026: contact due Tuesday 17, visit by 20 (high) or 27 Nov (moderate)."""
    discharge_home(personas.patient_id, discharged="2026-11-13T15:00:00Z")
    with db.unit_of_work() as s:
        return str(s.scalars(select(TransitionEpisode.public_id)).one())


def task_status(kind: str) -> TaskStatus:
    with db.unit_of_work() as s:
        return s.scalars(select(Task.status).where(Task.type == kind)).one()


def test_the_episode_shows_the_clock_checklist_and_tasks(client: TestClient, personas: Personas,
                                                          bearer_for: BearerFor) -> None:
    eid = episode_id(personas)
    body = client.get(f"/api/v1/episodes/{eid}", headers=bearer_for(personas.coordinator_id)).json()
    assert body["contact"] == {"due": "2026-11-17", "met_at": None, "state": "overdue"}
    assert body["visit"]["due"] == "2026-11-27" and body["complexity"] == "moderate"
    assert [i["code"] for i in body["checklist"]] == ["discharge-summary", "follow-up-booked",
                                                      "medications-reconciled", "home-services", "red-flags-taught"]
    assert [t["type"] for t in body["tasks"]] == ["follow-up-call", "appointment", "med-review"]
    assert (body["pathway"], body["pathway_version"]) == ("tcm-discharge", 1)


def contact(client: TestClient, eid: str, headers: dict[str, str], **fields: Any) -> Any:
    return client.post(f"/api/v1/episodes/{eid}/contacts", headers=headers,
                       json={"method": "phone", "outcome": "no-answer", **fields})


def test_two_timely_failed_attempts_meet_the_contact_requirement(client: TestClient, personas: Personas,
                                                                  bearer_for: BearerFor) -> None:
    eid, cora = episode_id(personas), bearer_for(personas.coordinator_id)
    assert contact(client, eid, cora, at="2026-11-16T10:00:00Z").status_code == 201
    assert client.get(f"/api/v1/episodes/{eid}", headers=cora).json()["contact_met_by"] is None
    assert contact(client, eid, cora, at="2026-11-17T16:00:00Z", outcome="left-message").status_code == 201
    body = client.get(f"/api/v1/episodes/{eid}", headers=cora).json()
    assert body["contact_met_by"] == "two-attempts" and body["contact"]["state"] == "met"
    assert task_status("follow-up-call") is TaskStatus.completed


def test_reaching_the_patient_late_is_recorded_but_late(client: TestClient, personas: Personas,
                                                         bearer_for: BearerFor) -> None:
    eid, cora = episode_id(personas), bearer_for(personas.coordinator_id)
    contact(client, eid, cora, at="2026-11-18T09:00:00Z", outcome="reached", with_whom="caregiver")
    body = client.get(f"/api/v1/episodes/{eid}", headers=cora).json()
    assert body["contact"]["state"] == "overdue" and body["contacts"][0]["with_whom"] == "caregiver"
    assert task_status("follow-up-call") is TaskStatus.requested


def test_a_bad_contact_is_refused_and_changes_nothing(client: TestClient, personas: Personas,
                                                      bearer_for: BearerFor) -> None:
    eid, cora = episode_id(personas), bearer_for(personas.coordinator_id)
    assert contact(client, eid, cora, outcome="maybe").status_code == 422
    assert contact(client, eid, cora, at="2026-11-16T10:00:00").status_code == 422  # no timezone
    future = contact(client, eid, cora, at="2099-01-01T10:00:00Z")
    assert future.status_code == 422 and "future" in future.text
    before = contact(client, eid, cora, at="2026-11-12T10:00:00Z")
    assert before.status_code == 422 and "before the discharge" in before.text
    with db.unit_of_work() as s:
        assert s.scalars(select(ContactAttempt)).all() == []


def test_checklist_and_complexity(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    eid, cora = episode_id(personas), bearer_for(personas.coordinator_id)
    ticked = client.put(f"/api/v1/episodes/{eid}/checklist/discharge-summary", headers=cora,
                        json={"done": True, "note": "faxed by St Mary's"})
    assert ticked.status_code == 200 and ticked.json()["done"] and ticked.json()["done_by"] == "Cora"
    refused = client.put(f"/api/v1/episodes/{eid}/checklist/medications-reconciled", headers=cora, json={"done": True})
    assert refused.status_code == 422 and "reconciliation" in refused.text
    changed = client.put(f"/api/v1/episodes/{eid}/complexity", headers=cora,
                         json={"complexity": "high", "reason": "new heart failure, 3 admissions this year"})
    assert changed.json()["visit"]["due"] == "2026-11-20"  # 7 days after Friday 13 Nov
    with db.unit_of_work() as s:
        due = s.scalars(select(Task.due_at).where(Task.type == "appointment")).one()
        assert due.isoformat() == "2026-11-20T23:59:00+00:00"


def test_the_visit_completes_the_appointment_task(client: TestClient, personas: Personas,
                                                  bearer_for: BearerFor) -> None:
    eid, cora = episode_id(personas), bearer_for(personas.coordinator_id)
    body = client.post(f"/api/v1/episodes/{eid}/visit", headers=cora, json={"at": "2026-11-19T09:00:00Z"}).json()
    assert body["visit"]["state"] == "met"
    assert task_status("appointment") is TaskStatus.completed


def test_outsiders_are_refused_and_audited(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    eid, oscar = episode_id(personas), bearer_for(personas.outsider_id)
    assert client.get(f"/api/v1/episodes/{eid}", headers=oscar).status_code == 403
    assert contact(client, eid, oscar, outcome="reached").status_code == 403
    with db.unit_of_work() as s:
        denied = s.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == personas.outsider_id,
                                                           AuditEvent.outcome == "denied")).all()
        assert sorted(denied) == ["episode.contact", "episode.read"]


def test_the_patient_lists_episodes_and_readmissions(client: TestClient, personas: Personas,
                                                     bearer_for: BearerFor) -> None:
    episode_id(personas)
    with db.unit_of_work() as s:
        from careloop.models import Patient
        patient = s.get(Patient, personas.patient_id)
        assert patient is not None
        pid = str(patient.public_id)
    body = client.get(f"/api/v1/patients/{pid}/transitions", headers=bearer_for(personas.coordinator_id)).json()
    assert len(body["episodes"]) == 1 and body["readmissions"] == []
