"""Care plans (FHIR R4 CarePlan): what the team intends to do for a patient, for which conditions, towards
which goals, through which activities."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careloop.models.base import Base, IntPK, PublicId, str_enum

if TYPE_CHECKING:
    from careloop.models.condition import Condition
    from careloop.models.goal import Goal
    from careloop.models.patient import Patient
    from careloop.models.task import Task
    from careloop.models.user import User


class CarePlanStatus(StrEnum):
    """FHIR R4 request-status."""

    draft = "draft"
    active = "active"
    on_hold = "on-hold"
    revoked = "revoked"
    completed = "completed"
    entered_in_error = "entered-in-error"
    unknown = "unknown"


class CarePlanIntent(StrEnum):
    proposal = "proposal"
    plan = "plan"
    order = "order"
    option = "option"


class CarePlanActivityStatus(StrEnum):
    not_started = "not-started"
    scheduled = "scheduled"
    in_progress = "in-progress"
    on_hold = "on-hold"
    completed = "completed"
    cancelled = "cancelled"
    stopped = "stopped"
    unknown = "unknown"
    entered_in_error = "entered-in-error"


class CarePlanKind(StrEnum):
    """careloop's own plans; an imported plan (from a FHIR CarePlan) has no kind and is shown read-only."""

    comprehensive = "comprehensive"  # one open per patient (issue 4)
    condition_specific = "condition-specific"


OPEN_PLAN_STATUSES = ("draft", "active", "on-hold")
_ONE_COMPREHENSIVE = text("kind = 'comprehensive' AND status IN ('draft', 'active', 'on-hold')")


class CarePlan(IntPK, PublicId, Base):
    __tablename__ = "care_plans"
    __table_args__ = (
        Index("ix_care_plans_patient_id_status", "patient_id", "status"),
        Index("ix_care_plans_status_next_review_date", "status", "next_review_date"),
        # One open comprehensive plan per patient; condition-specific plans may sit beside it.
        Index("uq_care_plans_one_comprehensive", "patient_id", unique=True, sqlite_where=_ONE_COMPREHENSIVE,
              postgresql_where=_ONE_COMPREHENSIVE),
    )

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id"))
    status: Mapped[CarePlanStatus] = mapped_column(str_enum(CarePlanStatus, 24))
    intent: Mapped[CarePlanIntent] = mapped_column(str_enum(CarePlanIntent, 16))
    category_code: Mapped[str | None] = mapped_column(String(32))
    category_display: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    period_start: Mapped[datetime | None]
    period_end: Mapped[datetime | None]
    created_at: Mapped[datetime | None]  # CarePlan.created: when the plan was first recorded
    fhir_resource_id: Mapped[int | None] = mapped_column(BigInteger)
    # Managed by careloop (migration 0010): the rows the FHIR import writes leave these at their defaults.
    kind: Mapped[CarePlanKind | None] = mapped_column(str_enum(CarePlanKind, 24))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    what_matters: Mapped[str | None] = mapped_column(Text)  # the patient's own priorities, in their words
    next_review_date: Mapped[date | None]
    review_interval_days: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime | None]
    # Optimistic lock over the whole plan (goals, interventions, notes): every change bumps it and writes a
    # revision; a writer holding an older version gets a 409.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    patient: Mapped[Patient] = relationship(lazy="raise")
    owner_user: Mapped[User | None] = relationship(lazy="raise")
    activities: Mapped[list[CarePlanActivity]] = relationship(
        back_populates="care_plan", lazy="raise", cascade="all, delete-orphan", order_by="CarePlanActivity.position"
    )
    goal_links: Mapped[list[CarePlanGoal]] = relationship(lazy="raise", cascade="all, delete-orphan",
                                                          order_by="CarePlanGoal.goal_id")
    addresses: Mapped[list[Condition]] = relationship(secondary="care_plan_conditions", lazy="raise",
                                                      viewonly=True, order_by="Condition.id")
    entries: Mapped[list[CarePlanEntry]] = relationship(lazy="raise", cascade="all, delete-orphan",
                                                        order_by="CarePlanEntry.id")
    decisions: Mapped[list[CarePlanDecision]] = relationship(lazy="raise", cascade="all, delete-orphan",
                                                             order_by="CarePlanDecision.id")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class CarePlanActivity(IntPK, Base):
    __tablename__ = "care_plan_activities"

    care_plan_id: Mapped[int] = mapped_column(ForeignKey("care_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str | None] = mapped_column(String(40))  # Appointment, ServiceRequest, Task...
    code_system: Mapped[str | None] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(32))
    display: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[CarePlanActivityStatus] = mapped_column(str_enum(CarePlanActivityStatus, 24))
    scheduled_start: Mapped[datetime | None]
    scheduled_end: Mapped[datetime | None]
    description: Mapped[str | None] = mapped_column(String(500))
    # careloop's interventions: the Task that carries the work, the goal it serves, why it exists
    # (intervention, review, worsening) and, when a template made it, the template item's key.
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), index=True)
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("goals.id"))
    purpose: Mapped[str | None] = mapped_column(String(16))
    owner_role: Mapped[str | None] = mapped_column(String(40))
    item_key: Mapped[str | None] = mapped_column(String(160))

    care_plan: Mapped[CarePlan] = relationship(back_populates="activities", lazy="raise")
    task: Mapped[Task | None] = relationship(lazy="raise")

    __table_args__ = (UniqueConstraint("care_plan_id", "item_key"),)


class CarePlanCondition(Base):
    """CarePlan.addresses: the conditions a plan is for."""

    __tablename__ = "care_plan_conditions"

    care_plan_id: Mapped[int] = mapped_column(ForeignKey("care_plans.id", ondelete="CASCADE"), primary_key=True)
    condition_id: Mapped[int] = mapped_column(ForeignKey("conditions.id", ondelete="CASCADE"), primary_key=True)


class CarePlanGoal(Base):
    """CarePlan.goal: the goals a plan works towards."""

    __tablename__ = "care_plan_goals"

    __table_args__ = (UniqueConstraint("care_plan_id", "item_key"),)

    care_plan_id: Mapped[int] = mapped_column(ForeignKey("care_plans.id", ondelete="CASCADE"), primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), primary_key=True)
    item_key: Mapped[str | None] = mapped_column(String(160))  # template id@version:item, for idempotency

    goal: Mapped[Goal] = relationship(lazy="raise")


class CarePlanEntry(IntPK, PublicId, Base):
    """What matters to the patient (a priority) or what stands in the way (a barrier)."""

    __tablename__ = "care_plan_entries"

    care_plan_id: Mapped[int] = mapped_column(ForeignKey("care_plans.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # priority, barrier
    text: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active, resolved
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CarePlanDecision(IntPK, PublicId, Base):
    """A shared decision: the options discussed, the patient's choice, when, and who was there."""

    __tablename__ = "care_plan_decisions"

    care_plan_id: Mapped[int] = mapped_column(ForeignKey("care_plans.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(300))
    options: Mapped[list[str]]
    choice: Mapped[str] = mapped_column(String(500))
    decided_on: Mapped[date]
    present: Mapped[list[str]]
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CarePlanRevision(IntPK, Base):
    """One version of a plan: who changed it, when, what (a summary) and the whole plan as it then was.
    Never updated, so any two versions can be compared field by field."""

    __tablename__ = "care_plan_revisions"
    __table_args__ = (UniqueConstraint("care_plan_id", "version"),)

    care_plan_id: Mapped[int] = mapped_column(ForeignKey("care_plans.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500))
    snapshot: Mapped[dict[str, Any]]
