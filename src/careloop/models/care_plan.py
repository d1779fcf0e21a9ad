"""Care plans (FHIR R4 CarePlan): what the team intends to do for a patient, for which conditions, towards
which goals, through which activities."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careloop.models.base import Base, IntPK, PublicId, str_enum


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


class CarePlan(IntPK, PublicId, Base):
    __tablename__ = "care_plans"
    __table_args__ = (Index("ix_care_plans_patient_id_status", "patient_id", "status"),)

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

    activities: Mapped[list[CarePlanActivity]] = relationship(
        back_populates="care_plan", lazy="raise", cascade="all, delete-orphan", order_by="CarePlanActivity.position"
    )


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

    care_plan: Mapped[CarePlan] = relationship(back_populates="activities", lazy="raise")


class CarePlanCondition(Base):
    """CarePlan.addresses: the conditions a plan is for."""

    __tablename__ = "care_plan_conditions"

    care_plan_id: Mapped[int] = mapped_column(ForeignKey("care_plans.id", ondelete="CASCADE"), primary_key=True)
    condition_id: Mapped[int] = mapped_column(ForeignKey("conditions.id", ondelete="CASCADE"), primary_key=True)


class CarePlanGoal(Base):
    """CarePlan.goal: the goals a plan works towards."""

    __tablename__ = "care_plan_goals"

    care_plan_id: Mapped[int] = mapped_column(ForeignKey("care_plans.id", ondelete="CASCADE"), primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), primary_key=True)
