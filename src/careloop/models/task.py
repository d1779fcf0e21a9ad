"""Work to be done for a patient (FHIR R4 Task): owner, due date, priority, status, and its history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careloop.models.base import Base, IntPK, PublicId, str_enum
from careloop.models.patient import Patient
from careloop.models.user import Team, User


class TaskStatus(StrEnum):
    """FHIR R4 task-status, all twelve codes."""

    draft = "draft"
    requested = "requested"
    received = "received"
    accepted = "accepted"
    rejected = "rejected"
    ready = "ready"
    cancelled = "cancelled"
    in_progress = "in-progress"
    on_hold = "on-hold"
    failed = "failed"
    completed = "completed"
    entered_in_error = "entered-in-error"


class TaskPriority(StrEnum):
    """FHIR request-priority, lowest to highest."""

    routine = "routine"
    urgent = "urgent"
    asap = "asap"
    stat = "stat"


PRIORITY_RANK = {TaskPriority.routine: 0, TaskPriority.urgent: 1, TaskPriority.asap: 2, TaskPriority.stat: 3}


class Task(IntPK, PublicId, Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_owner_user_id_status_due_at", "owner_user_id", "status", "due_at"),
        Index("ix_tasks_owner_team_id_status_due_at", "owner_team_id", "status", "due_at"),
        Index("ix_tasks_owner_role_status_due_at", "owner_role", "status", "due_at"),
        Index("ix_tasks_patient_id_status", "patient_id", "status"),
        # Tasks queued to a care-team role, by (patient, role): meant for the worklist's role branch, but no
        # query states its condition at present, so no planner uses it (see tasks.repository._my_task_keys
        # and BENCHMARKS.md): to be used from SQL both planners handle well, or dropped.
        Index("ix_tasks_role_queue", "patient_id", "owner_role", sqlite_where=text("owner_role IS NOT NULL"),
              postgresql_where=text("owner_role IS NOT NULL")),
        Index("ix_tasks_status_due_at", "status", "due_at"),
    )

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))  # careloop.tasks.schemas.TaskType
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus, 24))
    # The status an on-hold task resumes to (FHIR: suspended tasks resume where they were).
    resume_status: Mapped[TaskStatus | None] = mapped_column(str_enum(TaskStatus, 24))
    status_reason: Mapped[str | None] = mapped_column(String(500))
    business_status: Mapped[str | None] = mapped_column(String(64))
    intent: Mapped[str] = mapped_column(String(24), default="order")
    priority: Mapped[TaskPriority] = mapped_column(str_enum(TaskPriority, 8), default=TaskPriority.routine)
    priority_rank: Mapped[int] = mapped_column(Integer, default=0)  # PRIORITY_RANK, for sorting in SQL
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    owner_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    owner_role: Mapped[str | None] = mapped_column(String(40))  # a CareTeamRole: anyone holding it may claim
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    authored_on: Mapped[datetime]
    last_modified: Mapped[datetime]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    overdue_notified_at: Mapped[datetime | None]
    # Optimistic lock: a second writer holding an old version gets a 409, never a silent overwrite.
    version: Mapped[int] = mapped_column(Integer, default=1)

    patient: Mapped[Patient] = relationship(lazy="raise")
    owner_user: Mapped[User | None] = relationship(foreign_keys=[owner_user_id], lazy="raise")
    owner_team: Mapped[Team | None] = relationship(lazy="raise")
    requester: Mapped[User | None] = relationship(foreign_keys=[requester_id], lazy="raise")
    events: Mapped[list[TaskEvent]] = relationship(
        back_populates="task", lazy="raise", order_by="TaskEvent.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class TaskEvent(IntPK, Base):
    """One transition or change of a task: who, when, what, why. Never updated."""

    __tablename__ = "task_events"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(String(1000))

    task: Mapped[Task] = relationship(back_populates="events", lazy="raise")
    actor: Mapped[User | None] = relationship(lazy="raise")
