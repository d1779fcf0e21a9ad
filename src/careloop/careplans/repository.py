"""Care-plan queries: a plan with everything it shows loaded on purpose, the patient's concerns, the goals a
reading bears on, the readings themselves, the plan's open work, and its revisions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from uuid import UUID

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, joinedload, selectinload

from careloop.errors import NotFound
from careloop.models import (
    CarePlan,
    CarePlanActivity,
    CarePlanGoal,
    CarePlanKind,
    CarePlanRevision,
    Condition,
    Goal,
    GoalTarget,
    Observation,
    ObservationStatus,
    Task,
)
from careloop.models.care_plan import OPEN_PLAN_STATUSES
from careloop.models.condition import ACTIVE_CLINICAL_STATUSES
from careloop.tasks.workflow import OPEN_STATUSES

_FULL = (
    joinedload(CarePlan.patient), joinedload(CarePlan.owner_user),
    selectinload(CarePlan.goal_links).joinedload(CarePlanGoal.goal).selectinload(Goal.targets),
    selectinload(CarePlan.goal_links).joinedload(CarePlanGoal.goal).joinedload(Goal.concern),
    selectinload(CarePlan.addresses), selectinload(CarePlan.activities).joinedload(CarePlanActivity.task),
    selectinload(CarePlan.entries), selectinload(CarePlan.decisions),
)
NOT_COUNTED = (ObservationStatus.entered_in_error, ObservationStatus.cancelled)


def get_or_raise(session: Session, public_id: UUID, *, refresh: bool = False) -> CarePlan:
    query = select(CarePlan).where(CarePlan.public_id == public_id).options(*_FULL)
    if refresh:
        query = query.execution_options(populate_existing=True)
    plan = session.scalar(query)
    if plan is None:
        raise NotFound(f"No care plan {public_id}.")
    return plan


def by_id(session: Session, plan_id: int) -> CarePlan:
    plan = session.scalar(select(CarePlan).where(CarePlan.id == plan_id).options(*_FULL)
                          .execution_options(populate_existing=True))
    if plan is None:
        raise NotFound("That care plan no longer exists.")
    return plan


def for_patient(session: Session, patient_id: int) -> Sequence[CarePlan]:
    return session.scalars(select(CarePlan).where(CarePlan.patient_id == patient_id)
                           .order_by(CarePlan.kind.is_(None), CarePlan.id.desc())).all()


def open_comprehensive(session: Session, patient_id: int) -> CarePlan | None:
    return session.scalar(select(CarePlan).where(CarePlan.patient_id == patient_id,
                                                 CarePlan.kind == CarePlanKind.comprehensive,
                                                 CarePlan.status.in_(OPEN_PLAN_STATUSES)))


def concerns(session: Session, patient_id: int) -> Sequence[Condition]:
    """Active conditions and health concerns (assessments add the latter), problems first."""
    return session.scalars(select(Condition).where(Condition.patient_id == patient_id,
                                                   Condition.clinical_status.in_(ACTIVE_CLINICAL_STATUSES))
                           .order_by(Condition.category, Condition.display)).all()


def condition_or_raise(session: Session, public_id: UUID, patient_id: int) -> Condition:
    condition = session.scalar(select(Condition).where(Condition.public_id == public_id,
                                                       Condition.patient_id == patient_id))
    if condition is None:
        raise NotFound(f"This patient has no condition {public_id}.")
    return condition


def plan_ids_for_codes(session: Session, patient_id: int, codes: Iterable[str]) -> Sequence[int]:
    """Open careloop plans of the patient with a goal measured by one of `codes`."""
    measured = (select(CarePlanGoal.care_plan_id).join(GoalTarget, GoalTarget.goal_id == CarePlanGoal.goal_id)
                .where(GoalTarget.measure_code.in_(list(codes))))
    return session.scalars(select(CarePlan.id).where(
        CarePlan.patient_id == patient_id, CarePlan.kind.is_not(None), CarePlan.status.in_(OPEN_PLAN_STATUSES),
        CarePlan.id.in_(measured)).order_by(CarePlan.id)).all()


def patients_with_measured_goals(session: Session, after_id: int, limit: int) -> Sequence[int]:
    measured = select(CarePlanGoal.care_plan_id).join(GoalTarget, GoalTarget.goal_id == CarePlanGoal.goal_id) \
        .where(GoalTarget.measure_code.is_not(None))
    return session.scalars(select(CarePlan.patient_id).distinct().where(
        CarePlan.kind.is_not(None), CarePlan.status.in_(OPEN_PLAN_STATUSES), CarePlan.id.in_(measured),
        CarePlan.patient_id > after_id).order_by(CarePlan.patient_id).limit(limit)).all()


def readings(session: Session, patient_id: int, codes: Iterable[str]) -> Sequence[Observation]:
    return session.scalars(select(Observation).where(
        Observation.patient_id == patient_id, Observation.code.in_(list(codes)),
        Observation.value_num.is_not(None), Observation.status.not_in(NOT_COUNTED))
        .order_by(Observation.effective_at)).all()


def open_task(session: Session, plan_id: int, purpose: str, goal_id: int | None = None) -> Task | None:
    query = (select(Task).join(CarePlanActivity, CarePlanActivity.task_id == Task.id)
             .where(CarePlanActivity.care_plan_id == plan_id, CarePlanActivity.purpose == purpose,
                    Task.status.in_(OPEN_STATUSES)))
    if goal_id is not None:
        query = query.where(CarePlanActivity.goal_id == goal_id)
    return session.scalars(query.order_by(Task.id).limit(1)).first()


def open_tasks(session: Session, plan_id: int, purpose: str) -> Sequence[Task]:
    return session.scalars(select(Task).join(CarePlanActivity, CarePlanActivity.task_id == Task.id)
                           .where(CarePlanActivity.care_plan_id == plan_id, CarePlanActivity.purpose == purpose,
                                  Task.status.in_(OPEN_STATUSES)).order_by(Task.id)).all()


def review_activity(session: Session, task_id: int) -> CarePlanActivity | None:
    """The careloop plan activity behind a review task, if the task is one."""
    return session.scalars(select(CarePlanActivity).where(CarePlanActivity.task_id == task_id,
                                                          CarePlanActivity.purpose == "review")).first()


def due_for_review(session: Session, today: date, limit: int) -> Sequence[int]:
    """Open careloop plans whose review date has come and that have no open review task."""
    open_review = exists().where(CarePlanActivity.care_plan_id == CarePlan.id, CarePlanActivity.purpose == "review",
                                 CarePlanActivity.task_id == Task.id, Task.status.in_(OPEN_STATUSES))
    return session.scalars(select(CarePlan.id).where(
        CarePlan.status.in_(OPEN_PLAN_STATUSES), CarePlan.kind.is_not(None), CarePlan.next_review_date <= today,
        ~open_review).order_by(CarePlan.next_review_date, CarePlan.id).limit(limit)).all()


def revisions(session: Session, plan_id: int) -> Sequence[CarePlanRevision]:
    return session.scalars(select(CarePlanRevision).where(CarePlanRevision.care_plan_id == plan_id)
                           .order_by(CarePlanRevision.version.desc())).all()


def revision_or_raise(session: Session, plan_id: int, version: int) -> CarePlanRevision:
    found = session.scalar(select(CarePlanRevision).where(CarePlanRevision.care_plan_id == plan_id,
                                                          CarePlanRevision.version == version))
    if found is None:
        raise NotFound(f"This plan has no version {version}.")
    return found


def goal_of_plan(plan: CarePlan, goal_id: UUID) -> Goal:
    for link in plan.goal_links:
        if link.goal.public_id == goal_id:
            return link.goal
    raise NotFound(f"This plan has no goal {goal_id}.")


def measured_codes(session: Session, patient_id: int) -> list[str]:
    codes = session.scalars(
        select(GoalTarget.measure_code).join(CarePlanGoal, CarePlanGoal.goal_id == GoalTarget.goal_id)
        .join(CarePlan, CarePlan.id == CarePlanGoal.care_plan_id)
        .where(CarePlan.patient_id == patient_id, GoalTarget.measure_code.is_not(None)))
    return sorted({c for c in codes if c})
