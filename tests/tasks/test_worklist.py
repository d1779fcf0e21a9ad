"""The worklist: mine, my teams' and my roles' tasks, ordered, filtered and paged."""

from __future__ import annotations

from datetime import timedelta

from careloop import db
from careloop.models import Patient, TaskPriority, TaskStatus, Team, User
from careloop.tasks import service
from careloop.tasks.schemas import DueWindow, TaskType, WorklistFilter
from tests.factories import Personas, make_task


def _titles(personas: Personas, user_id: int, **filters: object) -> list[str]:
    with db.unit_of_work() as s:
        tasks, _ = service.worklist(s, personas.actor(s, user_id), WorklistFilter(**filters))  # type: ignore[arg-type]
        return [t.title for t in tasks]


def test_sorted_by_due_then_priority(personas: Personas) -> None:
    with db.unit_of_work() as s:
        patient, me = s.get(Patient, personas.patient_id), s.get(User, personas.coordinator_id)
        make_task(s, patient, owner=me, title="later", due_in=timedelta(days=5))
        make_task(s, patient, owner=me, title="no due date", due_in=None)
        make_task(s, patient, owner=me, title="overdue", due_in=timedelta(days=-2))
        make_task(s, patient, owner=me, title="tomorrow urgent", due_in=timedelta(days=1), priority=TaskPriority.stat)
    assert _titles(personas, personas.coordinator_id) == ["overdue", "tomorrow urgent", "later", "no due date"]


def test_filters_by_due_window_type_status_and_patient(personas: Personas) -> None:
    with db.unit_of_work() as s:
        patient, me = s.get(Patient, personas.patient_id), s.get(User, personas.coordinator_id)
        make_task(s, patient, owner=me, title="overdue call", due_in=timedelta(days=-1))
        make_task(s, patient, owner=me, title="med review", task_type="med-review", due_in=timedelta(days=3))
        make_task(s, patient, owner=me, title="held", status=TaskStatus.on_hold, due_in=timedelta(days=20))
        make_task(s, patient, owner=me, title="done", status=TaskStatus.completed)
    me_id = personas.coordinator_id
    assert _titles(personas, me_id, due=DueWindow.overdue) == ["overdue call"]
    assert _titles(personas, me_id, type=TaskType.med_review) == ["med review"]
    assert _titles(personas, me_id, status=[TaskStatus.on_hold]) == ["held"]
    assert "done" not in _titles(personas, me_id)
    assert _titles(personas, me_id, patient_name="riv", due=DueWindow.week) == ["overdue call", "med review"]
    assert _titles(personas, me_id, patient_name="okafor") == []


def test_team_queue_reaches_team_members(personas: Personas) -> None:
    with db.unit_of_work() as s:
        team = s.get(Team, personas.team_id)
        make_task(s, s.get(Patient, personas.patient_id), team=team, title="for the team", status=TaskStatus.requested)
    assert _titles(personas, personas.teammate_id) == ["for the team"]
    assert _titles(personas, personas.coordinator_id) == []


def test_paging_and_total(personas: Personas) -> None:
    with db.unit_of_work() as s:
        patient, me = s.get(Patient, personas.patient_id), s.get(User, personas.coordinator_id)
        for i in range(7):
            make_task(s, patient, owner=me, title=f"t{i}", due_in=timedelta(days=i + 1))
    with db.unit_of_work() as s:
        tasks, total = service.worklist(s, personas.actor(s, personas.coordinator_id), WorklistFilter(page=2, size=3))
        assert total == 7 and [t.title for t in tasks] == ["t3", "t4", "t5"]


def test_task_on_patient_i_left_disappears(personas: Personas) -> None:
    """Ending my care-team membership removes the patient's tasks from my worklist (no lingering access)."""
    from careloop.careteams import repository as careteam_repo
    from careloop.clock import utcnow

    with db.unit_of_work() as s:
        make_task(s, s.get(Patient, personas.patient_id), owner=s.get(User, personas.coordinator_id))
        for member in careteam_repo.active_members(s, personas.patient_id):
            if member.user_id == personas.coordinator_id:
                member.period_end = utcnow()
    assert _titles(personas, personas.coordinator_id) == []
