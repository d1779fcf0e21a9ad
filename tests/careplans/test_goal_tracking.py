"""Goals follow the data: a reading recorded on the plan, or any observation announced with
observation.recorded and handled by the worker, moves the goal; a worsening goal puts one task on the care
manager's worklist. Due reviews become one task on the owner's worklist; completing the review moves the date."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from careloop import db
from careloop.careplans import service
from careloop.clock import utcnow
from careloop.jobs_registry import build_registry
from careloop.models import CarePlan, Observation, Task, TaskStatus
from careloop.worker import emit
from careloop.worker.runner import Worker
from tests.careplans.helpers import apply, days_ago, reading
from tests.conftest import BearerFor
from tests.factories import Personas


def run_worker() -> None:
    Worker(build_registry(), worker_id="test").drain()


def record(client: TestClient, headers: dict[str, str], plan: dict[str, Any], systolic: float,
           diastolic: float, when: str | None = None) -> Any:
    goal = next(g for g in plan["goals"] if g["description"].startswith("Blood pressure"))
    body: dict[str, Any] = {"values": [{"code": "8480-6", "value": systolic}, {"code": "8462-4", "value": diastolic}]}
    if when:
        body["at"] = when
    response = client.post(f"/api/v1/care-plans/{plan['id']}/goals/{goal['id']}/readings", json=body,
                           headers=headers)
    assert response.status_code == 200, response.text
    return next(g for g in response.json()["goals"] if g["id"] == goal["id"])


def worsening_tasks() -> list[Task]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(Task).where(Task.title.like("Goal worsening%"))))


def test_recorded_readings_move_the_goal_and_a_worsening_goal_makes_one_task(
        client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    plan = apply(client, cora, personas.patient_id)
    two_days_ago = (utcnow() - timedelta(days=2)).isoformat()
    assert record(client, cora, plan, 150, 95, two_days_ago)["achievement_status"] == "in-progress"
    goal = record(client, cora, plan, 158, 96)
    assert goal["achievement_status"] == "worsening" and "158/96" in goal["achievement_reason"]
    tasks = worsening_tasks()
    assert len(tasks) == 1 and tasks[0].owner_role == "rn-care-manager" and tasks[0].priority == "urgent"
    record(client, cora, plan, 160, 97)  # still worsening, a task is open: no second task
    assert len(worsening_tasks()) == 1
    assert record(client, cora, plan, 132, 84)["achievement_status"] == "achieved"
    with db.unit_of_work() as s:
        events = s.scalars(select(Observation.code).where(Observation.panel_code == "85354-9")).all()
        assert len(events) == 8


def test_a_reading_for_another_measure_is_refused(client: TestClient, personas: Personas,
                                                  bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    plan = apply(client, cora, personas.patient_id)
    goal = plan["goals"][0]["id"]  # HbA1c
    response = client.post(f"/api/v1/care-plans/{plan['id']}/goals/{goal}/readings", headers=cora,
                           json={"values": [{"code": "8480-6", "value": 120}]})
    assert response.status_code == 422 and "4548-4" in response.text
    with db.unit_of_work() as s:
        assert s.scalars(select(Observation)).all() == []


def test_observation_recorded_event_re_evaluates_goals_through_the_worker(
        client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    plan = apply(client, bearer_for(personas.coordinator_id), personas.patient_id)
    reading(personas.patient_id, "4548-4", 9.1, days_ago(100))
    reading(personas.patient_id, "4548-4", 9.6, days_ago(1))
    with db.unit_of_work() as s:
        emit(s, service.OBSERVATION_RECORDED, {"patient_id": personas.patient_id, "observation_ids": [],
                                               "codes": ["4548-4"]})
    run_worker()
    body = client.get(f"/api/v1/care-plans/{plan['id']}", headers=bearer_for(personas.coordinator_id)).json()
    assert body["goals"][0]["achievement_status"] == "worsening"
    assert len(worsening_tasks()) == 1
    revisions = client.get(f"/api/v1/care-plans/{plan['id']}/revisions",
                           headers=bearer_for(personas.coordinator_id)).json()
    assert revisions[0]["actor"] == "careplans" and "in-progress -> worsening" in revisions[0]["summary"]


def test_due_review_makes_one_task_for_the_owner_and_completing_it_moves_the_date(
        client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    plan = apply(client, cora, personas.patient_id)
    with db.unit_of_work() as s:
        s.execute(update(CarePlan).values(next_review_date=utcnow().date()))
    from careloop.careplans import jobs

    for _ in range(2):
        with db.unit_of_work() as s:
            jobs.reviews_due(s, {})
    with db.unit_of_work() as s:
        reviews = s.scalars(select(Task).where(Task.type == "care-plan-review")).all()
        assert len(reviews) == 1 and reviews[0].owner_user_id == personas.coordinator_id
    worklist = client.get("/api/v1/worklist", headers=cora).json()
    assert any(t["type"] == "care-plan-review" for t in worklist["items"])
    current = client.get(f"/api/v1/care-plans/{plan['id']}", headers=cora).json()
    done = client.post(f"/api/v1/care-plans/{plan['id']}/review", json={"version": current["version"],
                                                                         "note": "goals still right"}, headers=cora)
    assert done.status_code == 200, done.text
    assert done.json()["next_review_date"] == (utcnow().date() + timedelta(days=90)).isoformat()
    with db.unit_of_work() as s:
        assert s.scalars(select(Task.status).where(Task.type == "care-plan-review")).one() is TaskStatus.completed


def test_completing_the_review_task_from_the_worklist_moves_the_review_date_once(
        client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    plan = apply(client, cora, personas.patient_id)
    with db.unit_of_work() as s:
        s.execute(update(CarePlan).values(next_review_date=utcnow().date(), review_interval_days=60))
    from careloop.careplans import jobs

    with db.unit_of_work() as s:
        jobs.reviews_due(s, {})
    task = next(t for t in client.get("/api/v1/worklist", headers=cora).json()["items"]
                if t["type"] == "care-plan-review")
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"version": task["version"]}, headers=cora)
    assert done.status_code == 200, done.text
    before = client.get(f"/api/v1/care-plans/{plan['id']}", headers=cora).json()
    assert before["next_review_date"] == utcnow().date().isoformat()  # not yet: the worker follows the event
    run_worker()
    after = client.get(f"/api/v1/care-plans/{plan['id']}", headers=cora).json()
    assert after["next_review_date"] == (utcnow().date() + timedelta(days=60)).isoformat()
    assert after["version"] == before["version"] + 1 and not after["review_due"]
    revisions = client.get(f"/api/v1/care-plans/{plan['id']}/revisions", headers=cora).json()
    assert "Reviewed the plan" in revisions[0]["summary"] and "completed by Cora" in revisions[0]["summary"]
    with db.unit_of_work() as s:  # the same event handled again (a relay that ran twice) changes nothing
        jobs.review_task_completed(s, {"task_id": s.scalars(select(Task.id).where(
            Task.type == "care-plan-review")).one(), "type": "care-plan-review", "by": "Cora"})
    assert client.get(f"/api/v1/care-plans/{plan['id']}", headers=cora).json()["version"] == after["version"]


def test_recording_the_review_on_the_plan_is_not_counted_twice_by_the_task_event(
        client: TestClient, personas: Personas, bearer_for: BearerFor) -> None:
    cora = bearer_for(personas.coordinator_id)
    plan = apply(client, cora, personas.patient_id)
    with db.unit_of_work() as s:
        s.execute(update(CarePlan).values(next_review_date=utcnow().date()))
    from careloop.careplans import jobs

    with db.unit_of_work() as s:
        jobs.reviews_due(s, {})
    current = client.get(f"/api/v1/care-plans/{plan['id']}", headers=cora).json()
    done = client.post(f"/api/v1/care-plans/{plan['id']}/review", json={"version": current["version"]}, headers=cora)
    assert done.status_code == 200, done.text
    run_worker()  # task.completed was emitted by the plan's own review: its subscriber finds nothing to do
    after = client.get(f"/api/v1/care-plans/{plan['id']}", headers=cora).json()
    assert after["version"] == done.json()["version"]
    assert after["next_review_date"] == (utcnow().date() + timedelta(days=90)).isoformat()


def test_the_nightly_sweep_continues_past_its_first_batch_every_night(monkeypatch: pytest.MonkeyPatch) -> None:
    """A full batch queues the next one keyed by that night's run, so the second night is not cut short by the
    first night's keys."""
    from careloop.careplans import jobs
    from careloop.models import Job

    monkeypatch.setattr(jobs.repo, "patients_with_measured_goals", lambda _s, _after, limit: list(range(1, limit + 1)))
    monkeypatch.setattr(jobs.repo, "measured_codes", lambda _s, _patient: [])
    monkeypatch.setattr(jobs.service, "evaluate_patient", lambda *_args: None)
    for _night in range(2):
        with db.unit_of_work() as s:
            jobs.evaluate_all(s, {})
    with db.unit_of_work() as s:
        follow_ups = s.scalars(select(Job).where(Job.kind == jobs.NIGHTLY_EVALUATE_JOB)).all()
        assert len(follow_ups) == 2
        assert len({job.key for job in follow_ups}) == 2
        assert all(job.payload["after"] == jobs.SWEEP_BATCH for job in follow_ups)
