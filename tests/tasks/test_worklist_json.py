"""The worklist's JSON is written from plain values (tasks.api.worklist_json), not through TaskPage: it must be
byte for byte what pydantic writes for the model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from careloop import db
from careloop.models import Patient, TaskPriority, TaskStatus, Team, User
from careloop.tasks import service
from careloop.tasks.api import task_fields, task_out, worklist_json
from careloop.tasks.schemas import TaskOut, TaskPage, WorklistFilter
from careloop.tasks.summary import Named, TaskSummary
from tests.factories import Personas, make_task

NOW = datetime(2026, 12, 3, 9, 30, 15, 250000, tzinfo=UTC)


def _model_json(tasks: list[TaskSummary], total: int, page: int, size: int, now: datetime) -> bytes:
    model = TaskPage(items=[task_out(t, now) for t in tasks], total=total, page=page, size=size)
    return model.__pydantic_serializer__.to_json(model, by_alias=True)


def _summary(**changes: object) -> TaskSummary:
    fields: dict[str, object] = {
        "public_id": uuid4(), "version": 3, "patient_id": 7, "patient": Named(uuid4(), "Núñez, José \"Pepe\""),
        "type": "outreach", "title": "Call about the inhaler\nand the spacer", "description": None,
        "status": TaskStatus.ready, "status_reason": None, "priority": TaskPriority.urgent, "owner_user_id": None,
        "owner_user": None, "owner_team": None, "owner_role": "pharmacist", "due_at": NOW - timedelta(days=1),
        "authored_on": NOW.replace(microsecond=0), "last_modified": NOW, "completed_at": None,
    }
    return TaskSummary(**{**fields, **changes})  # type: ignore[arg-type]


def test_the_fields_are_taskouts_in_its_order() -> None:
    assert list(task_fields(_summary(), NOW)) == list(TaskOut.model_fields)


def test_every_kind_of_task_is_written_as_the_model_writes_it() -> None:
    tasks = [
        _summary(),
        _summary(owner_user_id=4, owner_user=Named(uuid4(), "Cora Whitfield"), owner_role=None, due_at=None,
                 description="Ask about <side effects> & costs\t✓", priority=TaskPriority.routine),
        _summary(owner_team=Named(uuid4(), "North care management"), status=TaskStatus.on_hold,
                 status_reason="Patient in hospital", due_at=NOW + timedelta(days=2)),
        _summary(status=TaskStatus.completed, completed_at=NOW - timedelta(minutes=5), priority=TaskPriority.stat),
        _summary(status=TaskStatus.entered_in_error, type="med-review", version=1),
    ]
    assert worklist_json(tasks, 42, 2, 5, NOW) == _model_json(tasks, 42, 2, 5, NOW)
    assert worklist_json([], 0, 1, 25, NOW) == _model_json([], 0, 1, 25, NOW)


def test_a_worklist_read_from_the_database_is_written_as_the_model_writes_it(personas: Personas) -> None:
    with db.unit_of_work() as s:
        patient, me = s.get(Patient, personas.patient_id), s.get(User, personas.coordinator_id)
        team = s.get(Team, personas.team_id)
        assert patient is not None and me is not None
        make_task(s, patient, owner=me, title="overdue", due_in=timedelta(days=-2), priority=TaskPriority.asap)
        make_task(s, patient, owner=me, title="no due date", due_in=None)
        make_task(s, patient, owner=me, title="held", status=TaskStatus.on_hold)
        make_task(s, patient, team=team, owner_role="rn-care-manager", title="queued", status=TaskStatus.requested)
    with db.unit_of_work() as s:
        tasks, total = service.worklist(s, personas.actor(s, personas.coordinator_id), WorklistFilter())
    assert len(tasks) == 4  # the queued task reaches her through her care-team role
    now = datetime.now(UTC)
    assert worklist_json(tasks, total, 1, 25, now) == _model_json(tasks, total, 1, 25, now)
