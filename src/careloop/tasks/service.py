"""Task use cases: create, edit, move through the workflow, and the worklist."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from careloop import access, audit
from careloop.access import Actor, Permission
from careloop.careteams import repository as careteam_repo
from careloop.clock import utcnow
from careloop.errors import Conflict, InvalidInput
from careloop.models import PRIORITY_RANK, Patient, Task, TaskEvent, TaskStatus, Team, User
from careloop.patients import repository as patients_repo
from careloop.pending_inserts import PendingInserts
from careloop.public_ids import new_public_id
from careloop.tasks import repository as repo
from careloop.tasks.schemas import TaskCreate, TaskOwnerIn, TaskUpdate, WorklistFilter
from careloop.tasks.summary import TaskSummary
from careloop.tasks.workflow import ACTIONS, OPEN_STATUSES, target_status
from careloop.users import repository as users_repo
from careloop.worker import emit

TASK_ASSIGNED = "task.assigned"
TASK_COMPLETED = "task.completed"


def create_task(session: Session, actor: Actor, patient_id: UUID, data: TaskCreate) -> Task:
    patient = patients_repo.get_or_raise(session, patient_id)
    now = utcnow()
    task = _new_task(session, actor, patient, data, now)
    session.add(task)
    session.flush()
    _log(session, task, actor, "created", None, task.status, None, now)
    _announce_assignment(session, task, actor)
    return task


def add_task(session: Session, actor: Actor, patient: access.PatientRef, data: TaskCreate, *,
             into: PendingInserts) -> int:
    """create_task for a batch writer that has the patient in hand and needs only the new task's id (the pathway
    engine): the same access check, audit, owner rules, history and announcement, but the task, its audit and
    history rows join the batch's pending inserts under a key reserved now (one executemany per table when the
    batch ends; nothing reads them back before, in the same transaction). The task is built as its row, not as an
    ORM object (the engine makes thousands a minute, and an object's bookkeeping cost more than its row); load it
    by id, after the batch, if it is needed."""
    now = utcnow()
    access.require(session, actor, Permission.task_write, patient, action="task.create", audit_into=into)
    user, team = _owner_of(session, patient.id, data.owner)
    status = _first_status(user)
    row = {"public_id": new_public_id(), "patient_id": patient.id, "type": data.type, "title": data.title,
           "description": data.description, "priority": data.priority, "priority_rank": PRIORITY_RANK[data.priority],
           "due_at": data.due_at, "requester_id": actor.user_id, "authored_on": now, "last_modified": now,
           "status": status, "owner_user_id": user.id if user else None, "owner_team_id": team.id if team else None,
           "owner_role": data.owner.role if user is None and team is None else None}
    task_id = into.add_row(session, Task, row)
    into.add(TaskEvent, _history_row(task_id, actor, "created", None, status, None, now))
    if user is not None and user.id != actor.user_id:
        emit(session, TASK_ASSIGNED, {"task_id": task_id, "user_id": user.id, "by": actor.display_name}, into=into)
    return task_id


def _new_task(session: Session, actor: Actor, patient: Patient, data: TaskCreate, now: datetime) -> Task:
    """The checked, audited, not yet saved task."""
    access.require(session, actor, Permission.task_write, patient, action="task.create")
    task = Task(patient_id=patient.id, patient=patient, type=data.type, title=data.title,
                description=data.description, priority=data.priority, priority_rank=PRIORITY_RANK[data.priority],
                due_at=data.due_at, requester_id=actor.user_id, authored_on=now, last_modified=now,
                status=TaskStatus.ready)
    _assign(session, task, patient, data.owner)
    task.status = _first_status(task.owner_user)
    return task


def _first_status(owner: User | None) -> TaskStatus:
    """Owned by a person, a new task is ready to do; queued to a team or role, someone must first accept it."""
    return TaskStatus.ready if owner is not None else TaskStatus.requested


def _announce_assignment(session: Session, task: Task, actor: Actor) -> None:
    """Someone else put this task on a person's worklist: tell them, after commit, through the outbox."""
    if task.owner_user_id is not None and task.owner_user_id != actor.user_id:
        emit(session, TASK_ASSIGNED, {"task_id": task.id, "user_id": task.owner_user_id,
                                      "by": actor.display_name})


def _assign(session: Session, task: Task, patient: Patient, owner: TaskOwnerIn) -> None:
    user, team = _owner_of(session, patient.id, owner)
    task.owner_user_id, task.owner_user = (user.id, user) if user else (None, None)
    task.owner_team_id, task.owner_team = (team.id, team) if team else (None, None)
    task.owner_role = owner.role if user is None and team is None else None


def _owner_of(session: Session, patient_id: int, owner: TaskOwnerIn) -> tuple[User | None, Team | None]:
    """The person or the team the task goes to (checked: active, and on the patient's care team); neither when it
    is queued to a care-team role."""
    if owner.user_id is not None:
        user = users_repo.get_active_or_raise(session, owner.user_id)
        if not careteam_repo.user_reaches_patient(session, user.id, patient_id):
            raise InvalidInput(f"{user.display_name} is not on this patient's care team; add them first.")
        return user, None
    if owner.team_id is not None:
        team = users_repo.get_team_or_raise(session, owner.team_id)
        if not careteam_repo.team_on_care_team(session, team.id, patient_id):
            raise InvalidInput(f"The team {team.name} is not on this patient's care team; add it first.")
        return None, team
    return None, None


def get_task(session: Session, actor: Actor, task_id: UUID) -> Task:
    task = repo.get_or_raise(session, task_id)
    access.require(session, actor, Permission.task_read, task.patient, action="task.read", entity_type="task",
                   entity_id=str(task.public_id))
    return task


def task_history(session: Session, actor: Actor, task_id: UUID) -> tuple[Task, Sequence[TaskEvent]]:
    task = get_task(session, actor, task_id)
    return task, repo.history(session, task.id)


def update_task(session: Session, actor: Actor, task_id: UUID, data: TaskUpdate) -> Task:
    task = _writable(session, actor, task_id, data.version, action="task.update")
    if task.status not in OPEN_STATUSES:
        raise Conflict(f"This task is {task.status}; only open tasks can be edited.")
    fields = data.model_dump(exclude_unset=True, exclude={"version", "note", "owner"})
    if "due_at" in fields and _postponed(task.due_at, fields["due_at"]):
        task.overdue_notified_at = None  # when the new due date passes in turn, that is news again
    for name, value in fields.items():
        if name in ("title", "priority") and value is None:
            raise InvalidInput(f"{name} cannot be empty.")
        setattr(task, name, value)
    if data.priority is not None:
        task.priority_rank = PRIORITY_RANK[data.priority]
    action = "updated"
    if data.owner is not None:
        previous_owner = task.owner_user_id
        _assign(session, task, task.patient, data.owner)
        action = "reassigned"
        if task.owner_user_id != previous_owner:
            _announce_assignment(session, task, actor)
    return _save(session, task, actor, action, task.status, task.status, data.note)


def _postponed(before: datetime | None, after: datetime | None) -> bool:
    """Moved out of the past (or to no date at all); a move between two past dates is no reason to remind."""
    return after != before and (after is None or after > utcnow())


def claim(session: Session, actor: Actor, task_id: UUID, version: int) -> Task:
    """Take a task queued to my team or role (or someone else's) as my own."""
    task = _writable(session, actor, task_id, version, action="task.claim")
    if task.status not in OPEN_STATUSES:
        raise Conflict(f"This task is {task.status}; only open tasks can be claimed.")
    if task.owner_user_id == actor.user_id:
        raise Conflict("This task is already yours.")
    before = task.status
    task.owner_user_id, task.owner_team_id, task.owner_role = actor.user_id, None, None
    if task.status in (TaskStatus.requested, TaskStatus.received):
        task.status = TaskStatus.accepted
    elif task.status is TaskStatus.draft:
        task.status = TaskStatus.ready
    return _save(session, task, actor, "claimed", before, task.status, None)


def transition(session: Session, actor: Actor, task_id: UUID, action_name: str, *, version: int,
               note: str | None = None) -> Task:
    action = ACTIONS.get(action_name)
    if action is None:
        raise InvalidInput(f"Unknown action {action_name!r}; one of: {', '.join(ACTIONS)}.")
    task = _writable(session, actor, task_id, version, action=f"task.{action.name}")
    if task.status not in action.sources:
        raise Conflict(f"Cannot {action.label.lower()} a task that is {task.status}.")
    if action.needs_reason and not (note and note.strip()):
        raise InvalidInput(f"Say why: '{action.label}' needs a reason.")
    before = task.status
    task.status = target_status(action, task.status, task.resume_status)
    task.resume_status = before if task.status is TaskStatus.on_hold else None
    task.status_reason = note if action.needs_reason else task.status_reason
    if task.status is TaskStatus.completed:
        task.completed_at = utcnow()
        # Work that hangs on a task (a care plan's review) follows it through the outbox, whoever completed it.
        emit(session, TASK_COMPLETED, {"task_id": task.id, "type": str(task.type), "by": actor.display_name})
    return _save(session, task, actor, action.name, before, task.status, note)


def _writable(session: Session, actor: Actor, task_id: UUID, version: int, *, action: str) -> Task:
    task = repo.get_or_raise(session, task_id)
    access.require(session, actor, Permission.task_write, task.patient, action=action, entity_type="task",
                   entity_id=str(task.public_id))
    if task.version != version:
        raise Conflict(f"This task was changed by someone else since you opened it (you have version {version}, "
                       f"it is now version {task.version}). Reload it and try again.",
                       details={"current_version": task.version})
    return task


def _save(session: Session, task: Task, actor: Actor, action: str, before: TaskStatus, after: TaskStatus,
          note: str | None) -> Task:
    now = utcnow()
    task.last_modified = now
    _log(session, task, actor, action, before, after, note, now)
    try:
        session.flush()  # the version check runs here: a concurrent writer makes this UPDATE match no row
    except StaleDataError as exc:
        raise Conflict("This task was changed by someone else at the same moment. Reload it and try again.") from exc
    return task


def _log(session: Session, task: Task, actor: Actor, action: str, before: TaskStatus | None, after: TaskStatus,
         note: str | None, at: datetime) -> None:
    # The audit row was written by the access check; the task's own history says what changed.
    session.add(TaskEvent(**_history_row(task.id, actor, action, before, after, note, at)))


def _history_row(task_id: int, actor: Actor, action: str, before: TaskStatus | None, after: TaskStatus,
                 note: str | None, at: datetime) -> dict[str, Any]:
    return {"task_id": task_id, "at": at, "actor_id": actor.user_id, "action": action,
            "from_status": before.value if before else None, "to_status": after.value, "note": note}


def worklist(session: Session, actor: Actor, filters: WorklistFilter) -> tuple[list[TaskSummary], int]:
    access.require_permission(session, actor, Permission.task_read, action="worklist.view")
    tasks, total = repo.worklist_summaries(session, actor, filters, utcnow())
    audit.record_list(session, actor, "worklist.view", [t.patient_id for t in tasks])
    return tasks, total
