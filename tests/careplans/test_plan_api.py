"""A plan through the JSON API: built from a template once, edited with its version (stale is 409), every
change a revision with a field-level difference; bad input refused with nothing changed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from careloop import db
from careloop.models import CarePlan, CarePlanRevision, Goal, Task
from tests.careplans.helpers import add_concerns, apply, patient_uuid
from tests.conftest import BearerFor
from tests.factories import Personas


def counts() -> tuple[int, int, int, int]:
    with db.unit_of_work() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) or 0  # type: ignore[return-value]
                     for m in (CarePlan, Goal, Task, CarePlanRevision))


def test_applying_a_template_twice_creates_goals_and_tasks_once(client: TestClient, personas: Personas,
                                                                bearer_for: BearerFor) -> None:
    add_concerns(personas.patient_id)
    cora = bearer_for(personas.coordinator_id)
    plan = apply(client, cora, personas.patient_id)
    assert plan["kind"] == "comprehensive" and plan["version"] == 2
    assert [g["description"] for g in plan["goals"]] == ["HbA1c below 8 %", "Blood pressure below 140/90"]
    assert [c["display"] for c in plan["addresses"]] == ["Type 2 diabetes mellitus"]
    assert plan["goals"][0]["concern"]["display"] == "Type 2 diabetes mellitus"
    assert len(plan["interventions"]) == 3 and plan["interventions"][0]["role"] == "rn-care-manager"
    before = counts()
    again = apply(client, cora, personas.patient_id)
    assert again["version"] == 2 and counts() == before
    other = apply(client, cora, personas.patient_id, "social-needs")
    assert len(other["goals"]) == 5 and other["version"] == 3


def test_a_stale_version_is_refused_and_if_match_wins(client: TestClient, personas: Personas,
                                                      bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    plan = apply(client, cora, personas.patient_id)
    goal = plan["goals"][0]["id"]
    url = f"/api/v1/care-plans/{plan['id']}/goals/{goal}"
    ok = client.patch(url, json={"version": 1, "description": "HbA1c below 7 %",
                                 "targets": [{"code": "4548-4", "comparator": "<", "value": 7, "unit": "%"}]},
                      headers={**cora, "If-Match": 'W/"2"'})
    assert ok.status_code == 200, ok.text
    assert ok.headers["ETag"] == 'W/"3"' and ok.json()["goals"][0]["description"] == "HbA1c below 7 %"
    stale = client.patch(url, json={"version": 2, "description": "HbA1c below 6.5 %"}, headers=cora)
    assert stale.status_code == 409 and "version 3" in stale.text
    read = client.get(f"/api/v1/care-plans/{plan['id']}", headers=cora)
    assert read.headers["ETag"] == 'W/"3"' and read.json()["goals"][0]["description"] == "HbA1c below 7 %"


def test_history_lists_every_version_and_the_difference(client: TestClient, personas: Personas,
                                                        bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    plan = apply(client, cora, personas.patient_id)
    pid, goal = plan["id"], plan["goals"][0]["id"]
    client.patch(f"/api/v1/care-plans/{pid}/goals/{goal}", json={"version": 2, "target_date": "2027-12-31"},
                 headers=cora)
    client.post(f"/api/v1/care-plans/{pid}/entries", json={"version": 3, "kind": "barrier",
                                                           "text": "No car since March"}, headers=cora)
    history = client.get(f"/api/v1/care-plans/{pid}/revisions", headers=cora).json()
    assert [h["version"] for h in history] == [4, 3, 2, 1]
    assert history[0]["actor"] == "Cora" and "barrier" in history[0]["summary"]
    diff = client.get(f"/api/v1/care-plans/{pid}/diff?from=2&to=4", headers=cora).json()
    fields = {c["field"]: (c["before"], c["after"]) for c in diff["changes"]}
    assert fields["Goal “HbA1c below 8 %”: target date"][1] == "2027-12-31"
    assert fields["Barrier: text"] == (None, "No car since March")
    assert client.get(f"/api/v1/care-plans/{pid}/diff?from=2&to=9", headers=cora).status_code == 404


def test_bad_input_is_refused_and_changes_nothing(client: TestClient, personas: Personas,
                                                  bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    plan = apply(client, cora, personas.patient_id)
    pid = plan["id"]
    before = counts()
    bad = [
        ("/goals", {"version": 2, "description": "x", "targets": [{"code": "not-loinc", "comparator": "<",
                                                                    "value": 1}]}),
        ("/goals", {"version": 2, "description": "x", "targets": [{"code": "4548-4", "value": 8}]}),
        ("/goals", {"version": 2, "description": "x", "start_date": "2027-01-02", "target_date": "2027-01-01"}),
        ("/decisions", {"version": 2, "topic": "Insulin", "options": ["start", "wait"], "choice": "maybe",
                        "decided_on": "2026-01-01", "present": ["patient"]}),
        ("/templates", {"version": 2, "template_id": "no-such"}),
        ("/interventions", {"version": 2, "title": "x", "role": "wizard"}),
    ]
    for suffix, body in bad:
        response = client.post(f"/api/v1/care-plans/{pid}{suffix}", json=body, headers=cora)
        assert response.status_code == 422, (suffix, response.text)
    assert "one of the options" in client.post(f"/api/v1/care-plans/{pid}/decisions", json=bad[3][1],
                                               headers=cora).text
    assert counts() == before
    assert client.get(f"/api/v1/care-plans/{pid}", headers=cora).json()["version"] == 2


def test_one_open_comprehensive_plan_per_patient(client: TestClient, personas: Personas,
                                                 bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    url = f"/api/v1/patients/{patient_uuid(personas.patient_id)}/care-plans"
    assert client.post(url, json={}, headers=cora).status_code == 201
    assert client.post(url, json={}, headers=cora).status_code == 409
    beside = client.post(url, json={"kind": "condition-specific", "template_id": "copd"}, headers=cora)
    assert beside.status_code == 201 and beside.json()["title"] == "COPD care plan"
    assert len(client.get(url, headers=cora).json()) == 2


def test_decisions_priorities_and_concerns(client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    concerns = add_concerns(personas.patient_id)
    cora = bearer_for(personas.coordinator_id)
    plan = apply(client, cora, personas.patient_id)
    pid = plan["id"]
    added = client.post(f"/api/v1/care-plans/{pid}/addresses", json={"version": 2, "condition_id": concerns["food"]},
                        headers=cora).json()
    assert {c["category"] for c in added["addresses"]} == {"problem-list-item", "health-concern"}
    client.post(f"/api/v1/care-plans/{pid}/entries", json={"version": 3, "kind": "priority",
                                                           "text": "Walk my granddaughter to school"}, headers=cora)
    decided = client.post(f"/api/v1/care-plans/{pid}/decisions", headers=cora, json={
        "version": 4, "topic": "Starting insulin", "options": ["Start insulin", "Try diet for 3 months"],
        "choice": "Try diet for 3 months", "decided_on": "2026-01-05", "present": ["Ana Rivera", "Cora, RN"]})
    body = decided.json()
    assert body["priorities"][0]["text"] == "Walk my granddaughter to school"
    assert body["decisions"][0]["present"] == ["Ana Rivera", "Cora, RN"]


def test_outsider_cannot_read_or_change_a_plan(client: TestClient, personas: Personas,
                                               bearer_for: BearerFor) -> None:
    plan = apply(client, bearer_for(personas.coordinator_id), personas.patient_id)
    oscar = bearer_for(personas.outsider_id)
    assert client.get(f"/api/v1/care-plans/{plan['id']}", headers=oscar).status_code == 403
    refused = client.patch(f"/api/v1/care-plans/{plan['id']}", json={"version": 2, "title": "x"}, headers=oscar)
    assert refused.status_code == 403 and "Rivera" not in refused.text
