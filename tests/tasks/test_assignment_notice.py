"""A task someone else puts on my worklist reaches me as a notification, through the outbox and the worker."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select

from careloop import db
from careloop.jobs_registry import build_registry
from careloop.models import CareTeamRole, Notification, OutboxEvent, Patient, StaffRole, User
from careloop.tasks import service
from careloop.tasks.schemas import TaskCreate, TaskOwnerIn, TaskUpdate
from careloop.worker.runner import Worker
from tests.factories import Personas, add_member, make_user


def run_worker() -> None:
    Worker(build_registry(), worker_id="test").drain()


def notices_for(user_id: int) -> list[str]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(Notification.title).where(Notification.user_id == user_id)))


def create(personas: Personas, by: int, owner: int, title: str = "Call about her new inhaler") -> str:
    with db.unit_of_work() as s:
        actor = personas.actor(s, by)
        patient = s.get(Patient, personas.patient_id)
        owner_user = s.get(User, owner)
        assert patient is not None and owner_user is not None
        task = service.create_task(s, actor, patient.public_id, TaskCreate(
            title=title, type="outreach", priority="routine", owner=TaskOwnerIn(user_id=owner_user.public_id)))
        return str(task.public_id)


def test_a_task_assigned_by_a_colleague_is_announced_once(personas: Personas) -> None:
    create(personas, by=personas.teammate_id, owner=personas.coordinator_id)
    assert notices_for(personas.coordinator_id) == []  # nothing until the worker relays the event
    run_worker()
    run_worker()
    assert notices_for(personas.coordinator_id) == ["Tess assigned you: Call about her new inhaler"]


def test_a_task_i_give_myself_announces_nothing(personas: Personas) -> None:
    create(personas, by=personas.coordinator_id, owner=personas.coordinator_id)
    with db.unit_of_work() as s:
        assert s.scalars(select(OutboxEvent)).all() == []


def test_reassigned_before_the_relay_only_the_final_owner_hears(personas: Personas) -> None:
    with db.unit_of_work() as s:
        nurse = make_user(s, "nina", [StaffRole.rn_care_manager])
        patient = s.get(Patient, personas.patient_id)
        assert patient is not None
        add_member(s, patient, CareTeamRole.rn_care_manager, user=nurse)
        nurse_id, nurse_public = nurse.id, nurse.public_id
    task_id = create(personas, by=personas.teammate_id, owner=personas.coordinator_id)
    with db.unit_of_work() as s:
        actor = personas.actor(s, personas.teammate_id)
        task = service.get_task(s, actor, UUID(task_id))
        service.update_task(s, actor, task.public_id,
                            TaskUpdate(version=task.version, owner=TaskOwnerIn(user_id=nurse_public)))
    run_worker()
    assert notices_for(personas.coordinator_id) == []
    assert notices_for(nurse_id) == ["Tess assigned you: Call about her new inhaler"]
