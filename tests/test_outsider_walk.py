"""Rule 4 of the architecture: walk every patient-scoped JSON route as an outsider (same role, not on the
patient's care team) and as an administrator; each must refuse with 403 and reveal nothing."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from careloop import db
from careloop.app import create_app
from careloop.careteams import repository as careteam_repo
from careloop.models import Patient, User
from tests.assessments.helpers import assessment_ids
from tests.careplans.helpers import care_plan_ids
from tests.conftest import BearerFor
from tests.factories import Personas, make_task

SCOPED_PARAMS = ("patient_id", "task_id", "member_id", "episode_id", "rec_id", "response_id", "plan_id")
# A valid body for each kind of write, so the refusal comes from the access check, not from validation.
BODIES = [
    ("PATCH", "{plan_id}", {"version": 1, "title": "x"}),  # before the generic "}" entries below
    ("PATCH", "{goal_id}", {"version": 1, "description": "x"}),
    ("POST", "/assessments", {"instrument": "phq-2"}),
    ("PUT", "/answers", {"version": 1, "answers": {}}),
    ("POST", "/amend", {"version": 1, "answers": {}}),
    ("POST", "/entered-in-error", {"version": 1, "reason": "x"}),
    ("POST", "/accept", {}),
    ("POST", "/dismiss", {"reason": "x"}),
    ("POST", "/tasks", {"type": "outreach", "title": "x", "owner": {"role": "pharmacist"}}),
    ("POST", "/care-team", {"role": "pharmacist", "name": "X"}),
    ("POST", "/end", {"reason": "x"}),
    ("PATCH", "/contact", {"phone": "555 123 4567"}),
    ("PATCH", "}", {"version": 1, "title": "changed"}),
    ("POST", "}", {"version": 1, "note": "x"}),
    ("POST", "/claim", {"version": 1, "note": "x"}),
    ("POST", "/contacts", {"method": "phone", "outcome": "reached"}),
    ("PUT", "{code}", {"done": True}),
    ("PUT", "/complexity", {"complexity": "high", "reason": "x"}),
    ("POST", "/visit", {"at": "2026-11-21T10:00:00Z"}),
    ("POST", "/discharge-entries", {"rxnorm": "314076", "frequency": "once daily"}),
    ("PUT", "{discrepancy_id}", {"resolution": "stop", "reason": "x"}),
    ("POST", "/population/enroll", {}),
    ("POST", "/population/gap-task", {"measure": "flu_vaccine"}),
    ("POST", "/complete", {"version": 1}),
    ("POST", "/care-plans", {}),
    ("POST", "/apply-template", {"template_id": "diabetes"}),
    ("POST", "/addresses", {"version": 1, "condition_id": "00000000-0000-0000-0000-000000000000"}),
    ("POST", "/goals", {"version": 1, "description": "x"}),
    ("POST", "/readings", {"values": [{"code": "4548-4", "value": 7}]}),
    ("POST", "/interventions", {"version": 1, "title": "x", "role": "pharmacist"}),
    ("POST", "/entries", {"version": 1, "kind": "barrier", "text": "x"}),
    ("POST", "/decisions", {"version": 1, "topic": "x", "options": ["a"], "choice": "a", "decided_on": "2026-01-01",
                            "present": ["x"]}),
    ("POST", "/templates", {"version": 1, "template_id": "diabetes"}),
    ("POST", "/review", {"version": 1}),
    ("POST", "/resolve", {"version": 1}),
]


def body_for(method: str, path: str) -> dict[str, object] | None:
    return next((body for m, suffix, body in BODIES if m == method and path.endswith(suffix)), None)


def patient_scoped_routes() -> list[tuple[str, str]]:
    """From the OpenAPI description, so a new route is walked the day it is added."""
    routes = []
    for path, operations in create_app().openapi()["paths"].items():
        if any(f"{{{p}}}" in path for p in SCOPED_PARAMS):
            routes.extend((method.upper(), path) for method in sorted(operations))
    assert len(routes) >= 10, "the walker found too few routes: did the URL parameters get renamed?"
    return routes


def transition_ids(personas: Personas) -> dict[str, object]:
    """A transition episode with a reconciliation that has an entry and a discrepancy, for their routes."""
    from careloop.medrec import service as medrec
    from careloop.medrec.schemas import EntryIn
    from tests.transitions.helpers import discharge_home

    discharge_home(personas.patient_id)
    with db.unit_of_work() as s:
        from careloop.models import TransitionEpisode

        episode = s.scalars(select(TransitionEpisode)).one()
        cora = personas.actor(s, personas.coordinator_id)
        rec = medrec.start_for_episode(s, cora, episode.public_id)
        entry = medrec.add_discharge_entry(s, cora, rec.public_id, EntryIn(rxnorm="314076", frequency="daily"))
        found = medrec.view(s, cora, rec.public_id).discrepancies[0]
        return {"episode_id": episode.public_id, "rec_id": rec.public_id, "entry_id": entry.public_id,
                "discrepancy_id": found.public_id, "code": "discharge-summary"}




@pytest.mark.parametrize(("method", "path"), patient_scoped_routes())
@pytest.mark.parametrize("who", ["outsider", "admin"])
def test_patient_scoped_route_refuses_outsiders(client: TestClient, personas: Personas, bearer_for: BearerFor,
                                                method: str, path: str, who: str) -> None:
    with db.unit_of_work() as s:
        patient = s.get(Patient, personas.patient_id)
        assert patient is not None
        task = make_task(s, patient, owner=s.get(User, personas.coordinator_id))
        member = careteam_repo.active_members(s, patient.id)[0]
        ids: dict[str, object] = {"patient_id": patient.public_id, "task_id": task.public_id,
                                  "member_id": member.public_id}
    if "{episode_id}" in path or "{rec_id}" in path:
        ids.update(transition_ids(personas))
    if "{response_id}" in path:
        ids.update(assessment_ids(personas))
    if "{plan_id}" in path:
        ids.update(care_plan_ids(personas))
    url = re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), "start")), path)
    user_id = personas.outsider_id if who == "outsider" else personas.admin_id
    response = client.request(method, url, json=body_for(method, path), headers=bearer_for(user_id))
    assert response.status_code == 403, (method, url, response.text)
    assert "Rivera" not in response.text and "Ana" not in response.text
