"""The FHIR Task state machine (hl7.org/fhir/R4/task.html#statemachine), transition by transition."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import pytest
from sqlalchemy.orm import Session

from careloop import db
from careloop.errors import Conflict, InvalidInput
from careloop.models import Patient, Task, TaskStatus, User
from careloop.tasks import service
from careloop.tasks.workflow import ACTIONS, TERMINAL_STATUSES, allowed_actions
from tests.factories import Personas, make_task

Act = Callable[..., Task]


@pytest.fixture
def act(personas: Personas) -> Act:
    """Run one action as the coordinator in its own unit of work, as a request would."""

    def run(task_id: UUID, action: str, note: str | None = None) -> Task:
        with db.unit_of_work() as s:
            actor = personas.actor(s, personas.coordinator_id)
            version = service.get_task(s, actor, task_id).version
            return service.transition(s, actor, task_id, action, version=version, note=note)

    return run


def _task(personas: Personas, status: TaskStatus = TaskStatus.ready, **kwargs: object) -> UUID:
    with db.unit_of_work() as s:
        patient = s.get(Patient, personas.patient_id)
        owner = s.get(User, personas.coordinator_id)
        return make_task(s, patient, owner=owner, status=status, **kwargs).public_id  # type: ignore[arg-type]


def test_happy_path_ready_start_complete(personas: Personas, act: Act) -> None:
    task_id = _task(personas)
    assert act(task_id, "start").status is TaskStatus.in_progress
    done = act(task_id, "complete")
    assert done.status is TaskStatus.completed and done.completed_at is not None


def test_hold_resumes_to_the_status_it_had(personas: Personas, act: Act) -> None:
    task_id = _task(personas)
    act(task_id, "start")
    held = act(task_id, "hold", "patient in hospital")
    assert (held.status, held.resume_status, held.status_reason) == (
        TaskStatus.on_hold, TaskStatus.in_progress, "patient in hospital")
    assert act(task_id, "resume").status is TaskStatus.in_progress


def test_stop_returns_in_progress_task_to_ready(personas: Personas, act: Act) -> None:
    task_id = _task(personas)
    act(task_id, "start")
    assert act(task_id, "stop").status is TaskStatus.ready


def test_request_accept_flow(personas: Personas, act: Act) -> None:
    task_id = _task(personas, TaskStatus.requested)
    assert act(task_id, "receive").status is TaskStatus.received
    assert act(task_id, "accept").status is TaskStatus.accepted
    assert act(task_id, "start").status is TaskStatus.in_progress


@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATUSES - {TaskStatus.entered_in_error}))
def test_terminal_tasks_cannot_restart(personas: Personas, act: Act, terminal: TaskStatus) -> None:
    task_id = _task(personas, terminal)
    with pytest.raises(Conflict, match=f"that is {terminal}"):
        act(task_id, "start")


def test_reasons_are_required_where_the_spec_expects_them(personas: Personas, act: Act) -> None:
    task_id = _task(personas)
    for action in ("cancel", "hold"):
        with pytest.raises(InvalidInput, match="needs a reason"):
            act(task_id, action, "  ")
    assert act(task_id, "cancel", "patient moved away").status is TaskStatus.cancelled


def test_unknown_action_is_refused(personas: Personas, act: Act) -> None:
    with pytest.raises(InvalidInput, match="Unknown action 'teleport'"):
        act(_task(personas), "teleport")


def test_every_status_has_a_consistent_action_table() -> None:
    for status in TaskStatus:
        names = {a.name for a in allowed_actions(status)}
        if status in TERMINAL_STATUSES - {TaskStatus.entered_in_error}:
            assert names == {"entered-in-error"}, status
    assert set(ACTIONS["cancel"].sources).isdisjoint(TERMINAL_STATUSES)


def test_claim_moves_queued_task_to_me(personas: Personas, session: Session) -> None:
    with db.unit_of_work() as s:
        task = make_task(s, s.get(Patient, personas.patient_id), owner_role="social-worker",
                         status=TaskStatus.requested)
        task_id = task.public_id
    with db.unit_of_work() as s:
        teammate = personas.actor(s, personas.teammate_id)
        claimed = service.claim(s, teammate, task_id, 1)
        assert (claimed.owner_user_id, claimed.owner_role, claimed.status) == (
            personas.teammate_id, None, TaskStatus.accepted)
