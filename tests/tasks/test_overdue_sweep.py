"""The overdue sweep: flags each open overdue task once, tells the people whose worklist it is on, and leaves
the task's version alone so nobody's open edit fails because of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from careloop import db
from careloop.clock import utcnow
from careloop.errors import InvalidInput
from careloop.models import (
    AuditEvent,
    CareTeamRole,
    Job,
    Notification,
    Patient,
    StaffRole,
    Task,
    TaskEvent,
    TaskStatus,
    Team,
    TeamMembership,
    User,
)
from careloop.tasks import service
from careloop.tasks.jobs import sweep_overdue
from careloop.tasks.schemas import TaskUpdate
from tests.factories import Personas, add_member, make_task, make_user

LATE = timedelta(hours=-2)


def sweep(payload: dict[str, Any] | None = None) -> None:
    with db.unit_of_work() as s:
        sweep_overdue(s, payload or {})


def notified() -> list[tuple[str, int, int | None]]:
    """(title, user id, task id) of every notification, in order of creation."""
    with db.unit_of_work() as s:
        rows = s.execute(select(Notification.title, Notification.user_id, Notification.task_id)
                         .order_by(Notification.id)).all()
        return [(r.title, r.user_id, r.task_id) for r in rows]


def fetch(task_id: int) -> Task:
    with db.unit_of_work() as s:
        task = s.get(Task, task_id)
        assert task is not None
        s.expunge(task)
        return task


def overdue_task(personas: Personas, **kwargs: Any) -> int:
    with db.unit_of_work() as s:
        patient = s.get(Patient, personas.patient_id)
        if not {"owner", "team", "owner_role"} & kwargs.keys():
            kwargs["owner"] = s.get(User, personas.coordinator_id)
        kwargs.setdefault("due_in", LATE)
        return make_task(s, patient, **kwargs).id


def test_sweep_flags_once_and_notifies_the_owner(personas: Personas) -> None:
    task_id = overdue_task(personas, title="Call after discharge")
    before = fetch(task_id)
    sweep()
    after = fetch(task_id)
    assert after.overdue_notified_at is not None
    assert (after.version, after.last_modified) == (before.version, before.last_modified)
    assert notified() == [("Overdue: Call after discharge", personas.coordinator_id, task_id)]
    sweep()
    assert len(notified()) == 1
    assert fetch(task_id).overdue_notified_at == after.overdue_notified_at


def test_sweep_writes_history_and_audit_once(personas: Personas) -> None:
    task_id = overdue_task(personas)
    sweep()
    sweep()
    with db.unit_of_work() as s:
        events = s.scalars(select(TaskEvent).where(TaskEvent.task_id == task_id, TaskEvent.action == "overdue")).all()
        assert [(e.actor_id, e.from_status, e.to_status) for e in events] == [(None, "ready", "ready")]
        audits = s.scalars(select(AuditEvent).where(AuditEvent.action == "task.overdue")).all()
        task = s.get(Task, task_id)
        assert task is not None
        assert [(a.actor_id, a.actor_username, a.channel, a.patient_id, a.entity_type, a.entity_id)
                for a in audits] == [(None, "overdue-sweep", "worker", personas.patient_id, "task",
                                      str(task.public_id))]


def test_team_task_notifies_every_member_of_the_team(personas: Personas) -> None:
    with db.unit_of_work() as s:
        tom = make_user(s, "tom", [StaffRole.social_worker], password=None)
        s.add(TeamMembership(team_id=personas.team_id, user_id=tom.id))
        tom_id = tom.id
    task_id = overdue_task(personas, team=_team(personas), status=TaskStatus.requested)
    sweep()
    assert sorted(user for _, user, _ in notified()) == sorted([personas.teammate_id, tom_id])
    assert fetch(task_id).overdue_notified_at is not None


def test_role_task_notifies_holders_directly_and_through_a_team(personas: Personas) -> None:
    with db.unit_of_work() as s:
        sam = make_user(s, "sam", [StaffRole.social_worker], password=None)
        add_member(s, s.get(Patient, personas.patient_id), CareTeamRole.social_worker, user=sam)
        sam_id = sam.id
    overdue_task(personas, owner_role="social-worker", status=TaskStatus.requested)
    sweep()
    # tess holds the role through the North team; sam directly; cora (RN care manager) does not hold it.
    assert sorted(user for _, user, _ in notified()) == sorted([personas.teammate_id, sam_id])


def test_closed_future_undated_and_draft_tasks_are_left_alone(personas: Personas) -> None:
    ids = [overdue_task(personas, status=TaskStatus.completed), overdue_task(personas, status=TaskStatus.cancelled),
           overdue_task(personas, status=TaskStatus.draft), overdue_task(personas, due_in=timedelta(hours=1)),
           overdue_task(personas, due_in=None)]
    sweep()
    assert notified() == []
    assert [fetch(i).overdue_notified_at for i in ids] == [None] * 5


def test_on_hold_task_counts_as_open(personas: Personas) -> None:
    overdue_task(personas, status=TaskStatus.on_hold)
    sweep()
    assert len(notified()) == 1


def test_owner_who_left_the_care_team_is_not_told_about_the_patient(personas: Personas) -> None:
    task_id = overdue_task(personas)
    _leave_care_team(personas.patient_id, personas.coordinator_id)
    sweep()
    assert notified() == []
    assert fetch(task_id).overdue_notified_at is not None  # flagged all the same: it is overdue


def test_deactivated_owner_is_not_notified(personas: Personas) -> None:
    overdue_task(personas)
    with db.unit_of_work() as s:
        cora = s.get(User, personas.coordinator_id)
        assert cora is not None
        cora.active = False
    sweep()
    assert notified() == []


def test_coordinators_open_edit_still_saves_after_the_sweep(personas: Personas) -> None:
    """The flag is bookkeeping: the version the coordinator read is still the task's version."""
    task_id = overdue_task(personas)
    opened = fetch(task_id)
    sweep()
    with db.unit_of_work() as s:
        actor = personas.actor(s, personas.coordinator_id)
        task = service.update_task(s, actor, opened.public_id, TaskUpdate(version=opened.version, title="Renamed"))
        assert task.version == opened.version + 1


def test_postponing_a_flagged_task_rearms_its_reminder(personas: Personas) -> None:
    task_id = overdue_task(personas)
    sweep()
    task = fetch(task_id)
    with db.unit_of_work() as s:
        actor = personas.actor(s, personas.coordinator_id)
        service.update_task(s, actor, task.public_id,
                            TaskUpdate(version=task.version, due_at=utcnow() + timedelta(days=1)))
    assert fetch(task_id).overdue_notified_at is None
    sweep({"now": (utcnow() + timedelta(days=2)).isoformat()})
    assert len(notified()) == 2  # the new due date passed too


def test_batches_oldest_first_and_the_next_run_takes_the_rest(personas: Personas) -> None:
    oldest = overdue_task(personas, due_in=timedelta(days=-3))
    middle = overdue_task(personas, due_in=timedelta(days=-2))
    newest = overdue_task(personas, due_in=timedelta(days=-1))
    sweep({"limit": 2})
    assert [task for *_, task in notified()] == [oldest, middle]
    sweep({"limit": 2})
    assert [task for *_, task in notified()] == [oldest, middle, newest]


def test_a_full_batch_queues_a_follow_up_run_at_once(personas: Personas) -> None:
    for days in (3, 2, 1):
        overdue_task(personas, due_in=timedelta(days=-days))
    sweep({"limit": 2})
    with db.unit_of_work() as s:
        [follow_up] = s.scalars(select(Job)).all()
        assert (follow_up.kind, follow_up.payload) == ("tasks.sweep_overdue", {"limit": 2})
    sweep({"limit": 2})  # one left: the batch is not full, so no further follow-up
    with db.unit_of_work() as s:
        assert len(s.scalars(select(Job)).all()) == 1


def test_payload_now_decides_what_is_overdue(personas: Personas) -> None:
    task_id = overdue_task(personas, due_in=timedelta(days=1))
    sweep({"now": (utcnow() + timedelta(days=2)).isoformat()})
    assert fetch(task_id).overdue_notified_at is not None


@pytest.mark.parametrize("payload", [{"now": "yesterday"}, {"now": "2030-01-01T00:00:00"}, {"limit": 0},
                                     {"limit": "ten"}])
def test_bad_payload_is_refused_and_changes_nothing(personas: Personas, payload: dict[str, Any]) -> None:
    task_id = overdue_task(personas)
    with pytest.raises(InvalidInput):
        sweep(payload)
    assert fetch(task_id).overdue_notified_at is None
    assert notified() == []


def _team(personas: Personas) -> Team:
    with db.unit_of_work() as s:
        team = s.get(Team, personas.team_id)
        assert team is not None
        s.expunge(team)
        return team


def _leave_care_team(patient_id: int, user_id: int) -> None:
    from careloop.careteams import repository as careteam_repo

    with db.unit_of_work() as s:
        for member in careteam_repo.active_members(s, patient_id):
            if member.user_id == user_id:
                member.period_end = utcnow()
