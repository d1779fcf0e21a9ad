"""Goals a patient and their team work towards (FHIR R4 Goal), with measurable targets."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careloop.models.base import Base, IntPK, PublicId, str_enum

if TYPE_CHECKING:
    from careloop.models.condition import Condition


class GoalLifecycleStatus(StrEnum):
    """FHIR R4 goal-status."""

    proposed = "proposed"
    planned = "planned"
    accepted = "accepted"
    active = "active"
    on_hold = "on-hold"
    completed = "completed"
    cancelled = "cancelled"
    entered_in_error = "entered-in-error"
    rejected = "rejected"


class Goal(IntPK, PublicId, Base):
    __tablename__ = "goals"
    __table_args__ = (Index("ix_goals_patient_id_lifecycle_status", "patient_id", "lifecycle_status"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    lifecycle_status: Mapped[GoalLifecycleStatus] = mapped_column(str_enum(GoalLifecycleStatus, 24))
    achievement_status: Mapped[str | None] = mapped_column(String(24))  # goal-achievement: in-progress, achieved...
    category: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[str | None] = mapped_column(String(24))  # high-priority, medium-priority, low-priority
    description: Mapped[str] = mapped_column(String(500))
    start_date: Mapped[date | None]
    status_date: Mapped[date | None]
    fhir_resource_id: Mapped[int | None] = mapped_column(BigInteger)
    # Managed by careloop (migration 0010): the concern the goal addresses, when it should be met, and why
    # its achievement status is what it is (careloop.careplans.achievement).
    condition_id: Mapped[int | None] = mapped_column(ForeignKey("conditions.id"))
    target_date: Mapped[date | None]
    achievement_reason: Mapped[str | None] = mapped_column(String(300))

    targets: Mapped[list[GoalTarget]] = relationship(
        back_populates="goal", lazy="raise", cascade="all, delete-orphan", order_by="GoalTarget.id"
    )
    concern: Mapped[Condition | None] = relationship(lazy="raise")


class GoalTarget(IntPK, Base):
    """What 'achieved' means: a measure (e.g. LOINC 8480-6) with a detail (a range, a quantity or a text)
    and a due date."""

    __tablename__ = "goal_targets"

    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    measure_code: Mapped[str | None] = mapped_column(String(32))
    measure_display: Mapped[str | None] = mapped_column(String(300))
    detail_low: Mapped[float | None]
    detail_high: Mapped[float | None]
    detail_unit: Mapped[str | None] = mapped_column(String(24))
    detail_text: Mapped[str | None] = mapped_column(String(300))
    due_date: Mapped[date | None]
    # FHIR Quantity.comparator for a one-sided target ("< 140"): the bound sits in detail_high for < and <=,
    # in detail_low for > and >=. Without one, low..high is an inclusive range (FHIR Range).
    detail_comparator: Mapped[str | None] = mapped_column(String(2))

    goal: Mapped[Goal] = relationship(back_populates="targets", lazy="raise")
