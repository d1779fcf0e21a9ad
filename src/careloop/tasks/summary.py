"""A task as lists show it: its own fields plus the names of its patient and owner, without ORM objects.

The worklist is the page a coordinator reloads all day, so it is read as plain rows in one statement
(see repository.worklist_summaries); a task loaded as an ORM object for its own page is turned into the
same shape, so the API and the templates have one thing to render.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from careloop.models import Task, TaskPriority, TaskStatus
from careloop.tasks.workflow import ACTIVE_STATUSES


@dataclass(frozen=True, slots=True)
class Named:
    """A patient, user or team, as a task line names it."""

    public_id: UUID
    name: str


@dataclass(frozen=True, slots=True)
class TaskSummary:
    public_id: UUID
    version: int
    patient_id: int  # internal: for the audit trail, never shown
    patient: Named
    type: str
    title: str
    description: str | None
    status: TaskStatus
    status_reason: str | None
    priority: TaskPriority
    owner_user_id: int | None
    owner_user: Named | None
    owner_team: Named | None
    owner_role: str | None
    due_at: datetime | None
    authored_on: datetime
    last_modified: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, task: Task) -> TaskSummary:
        """The summary of a task loaded with its patient and owners (repository._WITH_PEOPLE)."""
        user, team = task.owner_user, task.owner_team
        return cls(
            public_id=task.public_id, version=task.version, patient_id=task.patient_id,
            patient=Named(task.patient.public_id, task.patient.display_name),
            type=task.type, title=task.title, description=task.description, status=task.status,
            status_reason=task.status_reason, priority=task.priority, owner_user_id=task.owner_user_id,
            owner_user=Named(user.public_id, user.display_name) if user is not None else None,
            owner_team=Named(team.public_id, team.name) if team is not None else None,
            owner_role=task.owner_role, due_at=task.due_at, authored_on=task.authored_on,
            last_modified=task.last_modified, completed_at=task.completed_at,
        )

    def is_overdue(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at < now and self.status in ACTIVE_STATUSES


def summarize(task: Task | TaskSummary) -> TaskSummary:
    return task if isinstance(task, TaskSummary) else TaskSummary.of(task)
