"""What the task pages show, computed from the model (no I/O): the flags and actions templates only render."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from careloop.access import Actor
from careloop.careteams.repository import ActiveMember
from careloop.models import Task, TaskEvent, TaskPriority, TaskStatus
from careloop.tasks.summary import TaskSummary, summarize
from careloop.tasks.workflow import OPEN_STATUSES, Action, allowed_actions
from careloop.web.formatting import label

# The worklist row offers the everyday moves, in the order they are usually made; the task page offers
# every move the workflow allows.
ROW_ACTIONS = ("start", "resume", "complete", "hold", "cancel")


@dataclass(frozen=True)
class ActionView:
    name: str
    label: str
    needs_reason: bool
    primary: bool = False


CLAIM = ActionView("claim", "Claim", needs_reason=False)


@dataclass(frozen=True)
class TaskView:
    id: UUID
    version: int
    title: str
    description: str | None
    type: str
    type_label: str
    status: str
    status_label: str
    status_reason: str | None
    is_open: bool
    priority: str
    priority_label: str
    urgent: bool
    patient_id: UUID
    patient_name: str
    owner_label: str
    mine: bool
    due_at: datetime | None
    overdue: bool
    authored_on: datetime
    last_modified: datetime
    completed_at: datetime | None
    actions: tuple[ActionView, ...]


def owner_label(task: TaskSummary) -> str:
    if task.owner_user is not None:
        return task.owner_user.name
    if task.owner_team is not None:
        return f"Team: {task.owner_team.name}"
    if task.owner_role:
        return f"Anyone who is {label(task.owner_role)}"
    return "Nobody yet"


def actions_for(task: Task | TaskSummary, actor: Actor, *,
                names: tuple[str, ...] | None = None) -> tuple[ActionView, ...]:
    offered: list[ActionView] = []
    if task.status in OPEN_STATUSES and task.owner_user_id != actor.user_id:
        offered.append(CLAIM)
    allowed: Sequence[Action] = allowed_actions(task.status)
    if names is not None:
        allowed = sorted((a for a in allowed if a.name in names), key=lambda a: names.index(a.name))
    offered.extend(ActionView(a.name, a.label, a.needs_reason, primary=a.name in ("start", "complete", "resume"))
                   for a in allowed)
    return tuple(offered)


def task_view(loaded: Task | TaskSummary, actor: Actor, now: datetime, *, row: bool = True) -> TaskView:
    task = summarize(loaded)
    return TaskView(
        id=task.public_id, version=task.version, title=task.title, description=task.description,
        type=task.type, type_label=label(task.type), status=task.status.value, status_label=label(task.status),
        status_reason=task.status_reason, is_open=task.status in OPEN_STATUSES,
        priority=task.priority.value, priority_label=label(task.priority),
        urgent=task.priority is not TaskPriority.routine,
        patient_id=task.patient.public_id, patient_name=task.patient.name,
        owner_label=owner_label(task), mine=task.owner_user_id is not None and task.owner_user_id == actor.user_id,
        due_at=task.due_at, overdue=task.is_overdue(now), authored_on=task.authored_on,
        last_modified=task.last_modified, completed_at=task.completed_at,
        actions=actions_for(task, actor, names=ROW_ACTIONS if row else None),
    )


@dataclass(frozen=True)
class EventView:
    at: datetime
    who: str
    action: str
    change: str | None  # "Ready → In progress"
    note: str | None


def event_view(event: TaskEvent) -> EventView:
    change = None
    if event.from_status and event.to_status and event.from_status != event.to_status:
        change = f"{label(event.from_status)} → {label(event.to_status)}"
    elif event.to_status and event.from_status is None:
        change = label(event.to_status)
    return EventView(at=event.at, who=event.actor.display_name if event.actor else "System",
                     action=label(event.action), change=change, note=event.note)


def done_message(action: str, status: TaskStatus) -> str:
    """What the row says after an action worked, read out by screen readers."""
    if action == "claim":
        return "Claimed: this task is now yours."
    return f"Done. Now {label(status).lower()}."


@dataclass(frozen=True)
class OwnerGroup:
    label: str
    options: tuple[tuple[str, str], ...]  # (form value, text)


def owner_groups(members: Sequence[ActiveMember]) -> tuple[OwnerGroup, ...]:
    """Who can own a task: a staff member or team on the care team, or anyone holding a role on it."""
    people = {f"user:{m.user.public_id}": f"{m.user.display_name} ({label(m.role)})" for m in members if m.user}
    teams = {f"team:{m.team.public_id}": f"{m.team.name} ({label(m.role)})" for m in members if m.team}
    roles = {f"role:{m.role.value}": f"Anyone who is {label(m.role)}" for m in members if m.user or m.team}
    groups = (OwnerGroup("People", tuple(people.items())), OwnerGroup("Teams", tuple(teams.items())),
              OwnerGroup("Roles", tuple(sorted(roles.items(), key=lambda item: item[1]))))
    return tuple(g for g in groups if g.options)


def parse_owner(value: str) -> dict[str, str] | None:
    """'user:<id>', 'team:<id>' or 'role:<code>' as the API's owner object; None if it is none of these."""
    kind, _, ident = value.partition(":")
    key = {"user": "user_id", "team": "team_id", "role": "role"}.get(kind)
    return {key: ident} if key and ident else None
