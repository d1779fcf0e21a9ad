"""add_task (the pathway engine's way to create a task) writes the same task, audit row, history and announcement as
create_task, with one Core INSERT and the audit and history rows in the batch's pending inserts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from careloop import db
from careloop.access import system_actor
from careloop.errors import InvalidInput
from careloop.models import AuditEvent, CareTeamRole, OutboxEvent, Patient, Task, TaskEvent, TaskStatus, User
from careloop.pending_inserts import PendingInserts
from careloop.tasks import service
from careloop.tasks.schemas import TaskCreate, TaskOwnerIn
from tests.factories import Personas


def _data(**owner: Any) -> TaskCreate:
    return TaskCreate(title="Call after discharge", type="follow-up-call", priority="urgent",
                      owner=TaskOwnerIn(**owner))


def _add(personas: Personas, data: TaskCreate) -> tuple[int, PendingInserts]:
    pending = PendingInserts()
    with db.unit_of_work() as s:
        patient = s.get(Patient, personas.patient_id)
        assert patient is not None
        task_id = service.add_task(s, system_actor("pathways"), patient, data, into=pending)
        assert s.scalars(select(AuditEvent)).all() == []  # the audit row waits with the batch's other rows
        pending.write(s)
    return task_id, pending


def test_a_role_queued_task_is_requested_audited_and_has_its_history(personas: Personas) -> None:
    task_id, _ = _add(personas, _data(role=CareTeamRole.rn_care_manager))
    with db.unit_of_work() as s:
        task = s.get(Task, task_id)
        assert task is not None
        assert (task.status, task.owner_role, task.owner_user_id, task.version) == (
            TaskStatus.requested, "rn-care-manager", None, 1)
        assert task.public_id is not None and task.intent == "order" and task.priority_rank == 1
        history = s.scalars(select(TaskEvent).where(TaskEvent.task_id == task_id)).all()
        assert [(h.action, h.from_status, h.to_status) for h in history] == [("created", None, "requested")]
        audit = s.scalars(select(AuditEvent)).one()
        assert (audit.action, audit.actor_username, audit.patient_id) == ("task.create", "pathways",
                                                                          personas.patient_id)
        assert s.scalars(select(OutboxEvent)).all() == []


def test_a_task_given_to_a_person_is_ready_and_announced(personas: Personas) -> None:
    with db.unit_of_work() as s:
        nurse = s.get(User, personas.coordinator_id)
        assert nurse is not None
        nurse_public = nurse.public_id
    task_id, _ = _add(personas, _data(user_id=nurse_public))
    with db.unit_of_work() as s:
        task = s.get(Task, task_id)
        assert task is not None and task.status is TaskStatus.ready
        [event] = s.scalars(select(OutboxEvent)).all()
        assert (event.type, event.payload["task_id"], event.payload["user_id"]) == (
            service.TASK_ASSIGNED, task_id, personas.coordinator_id)


def test_the_owner_rules_still_apply(personas: Personas) -> None:
    with db.unit_of_work() as s:
        outsider = s.get(User, personas.outsider_id)
        assert outsider is not None
        outsider_public = outsider.public_id
    with pytest.raises(InvalidInput, match="not on this patient's care team"):
        _add(personas, _data(user_id=outsider_public))
    with db.unit_of_work() as s:
        assert s.scalars(select(Task)).all() == []
