from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from careloop import db
from careloop.models import Patient, Task, User
from tests.conftest import BearerFor
from tests.factories import Personas, make_task


def _patient_uuid(patient_id: int) -> str:
    with db.unit_of_work() as s:
        patient = s.get(Patient, patient_id)
        assert patient is not None
        return str(patient.public_id)


def _user_uuid(user_id: int) -> str:
    with db.unit_of_work() as s:
        user = s.get(User, user_id)
        assert user is not None
        return str(user.public_id)


def test_create_and_complete_task_records_history(client: TestClient, personas: Personas,
                                                  bearer_for: BearerFor) -> None:
    headers = bearer_for(personas.coordinator_id)
    body = {"type": "follow-up-call", "title": "Call after discharge", "priority": "urgent",
            "due_at": "2030-01-02T15:00:00Z", "owner": {"user_id": _user_uuid(personas.coordinator_id)}}
    created = client.post(f"/api/v1/patients/{_patient_uuid(personas.patient_id)}/tasks", json=body, headers=headers)
    assert created.status_code == 201, created.text
    task = created.json()
    assert (task["status"], task["version"]) == ("ready", 1)
    started = client.post(f"/api/v1/tasks/{task['id']}/start", json={"version": 1}, headers=headers)
    assert started.json()["status"] == "in-progress"
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"version": 2, "note": "reached"},
                       headers=headers)
    assert done.json()["status"] == "completed"
    history = client.get(f"/api/v1/tasks/{task['id']}/history", headers=headers).json()
    assert [(h["action"], h["to_status"]) for h in history] == [
        ("created", "ready"), ("start", "in-progress"), ("complete", "completed")]
    assert history[-1]["note"] == "reached"


def test_illegal_transition_is_refused_and_changes_nothing(client: TestClient, personas: Personas,
                                                          bearer_for: BearerFor) -> None:
    with db.unit_of_work() as s:
        task = make_task(s, s.get(Patient, personas.patient_id), owner=s.get(User, personas.coordinator_id))
        task_id = str(task.public_id)
    headers = bearer_for(personas.coordinator_id)
    response = client.post(f"/api/v1/tasks/{task_id}/fail", json={"version": 1, "note": "x"}, headers=headers)
    assert response.status_code == 409
    assert "Cannot mark failed a task that is ready" in response.json()["error"]["message"]
    assert client.get(f"/api/v1/tasks/{task_id}", headers=headers).json()["status"] == "ready"


def test_stale_version_gets_conflict(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    with db.unit_of_work() as s:
        task = make_task(s, s.get(Patient, personas.patient_id), owner=s.get(User, personas.coordinator_id))
        task_id = str(task.public_id)
    first, second = bearer_for(personas.coordinator_id), bearer_for(personas.teammate_id)
    assert client.post(f"/api/v1/tasks/{task_id}/start", json={"version": 1}, headers=first).status_code == 200
    late = client.post(f"/api/v1/tasks/{task_id}/hold", json={"version": 1, "note": "waiting"}, headers=second)
    assert late.status_code == 409
    assert late.json()["error"]["details"]["current_version"] == 2


def test_outsider_gets_403_and_no_hint_in_worklist(client: TestClient, personas: Personas,
                                                   bearer_for: BearerFor) -> None:
    with db.unit_of_work() as s:
        task = make_task(s, s.get(Patient, personas.patient_id), owner=s.get(User, personas.coordinator_id),
                         due_in=timedelta(days=-1))
        task_id = str(task.public_id)
    outsider = bearer_for(personas.outsider_id)
    assert client.get(f"/api/v1/tasks/{task_id}", headers=outsider).status_code == 403
    assert client.get(f"/api/v1/patients/{_patient_uuid(personas.patient_id)}", headers=outsider).status_code == 403
    assert client.get("/api/v1/worklist", headers=outsider).json()["total"] == 0
    panel = client.get("/api/v1/patients", headers=outsider).json()
    assert [row["name"] for row in panel["items"]] == ["Okafor, Ben"]


def test_worklist_shows_mine_team_and_role_tasks(client: TestClient, personas: Personas,
                                                 bearer_for: BearerFor) -> None:
    with db.unit_of_work() as s:
        patient = s.get(Patient, personas.patient_id)
        make_task(s, patient, title="role queue", owner_role="social-worker", status="requested")
        make_task(s, patient, title="not mine", owner=s.get(User, personas.coordinator_id))
    body = client.get("/api/v1/worklist", headers=bearer_for(personas.teammate_id)).json()
    assert [t["title"] for t in body["items"]] == ["role queue"]


def test_bad_input_is_explained(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    headers = bearer_for(personas.coordinator_id)
    response = client.post(f"/api/v1/patients/{_patient_uuid(personas.patient_id)}/tasks",
                           json={"type": "outreach", "title": "", "owner": {}}, headers=headers)
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "title" in message and "owner" in message
    with db.unit_of_work() as s:
        assert s.query(Task).count() == 0
