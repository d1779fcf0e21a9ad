"""Queries over the latest successful population run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from careloop.models import (
    CareGap,
    CareTeamMember,
    CareTeamRole,
    Cohort,
    CohortMember,
    GapTask,
    Patient,
    PatientResult,
    PopulationRun,
    PopulationRunStatus,
    Task,
)
from careloop.population.schemas import PopulationFilter
from careloop.tasks.workflow import OPEN_STATUSES

CARE_MANAGER_ROLES = (CareTeamRole.rn_care_manager,)


def latest_run(session: Session) -> PopulationRun | None:
    return session.scalars(select(PopulationRun).where(PopulationRun.status == PopulationRunStatus.succeeded)
                           .order_by(PopulationRun.finished_at.desc(), PopulationRun.id.desc()).limit(1)).first()


def result_for(session: Session, run_id: int, patient_id: int) -> PatientResult | None:
    return session.get(PatientResult, (run_id, patient_id))


def gaps_for(session: Session, run_id: int, patient_id: int, *, open_only: bool = False) -> Sequence[CareGap]:
    query = select(CareGap).where(CareGap.run_id == run_id, CareGap.patient_id == patient_id)
    if open_only:
        query = query.where(CareGap.status == "open")
    return session.scalars(query.order_by(CareGap.status.desc(), CareGap.due_date, CareGap.measure)).all()


def open_gap(session: Session, run_id: int, patient_id: int, measure: str, event_date: date | None) -> CareGap | None:
    query = select(CareGap).where(CareGap.run_id == run_id, CareGap.patient_id == patient_id,
                                  CareGap.measure == measure, CareGap.status == "open")
    query = query.where(CareGap.event_date.is_(None) if event_date is None else CareGap.event_date == event_date)
    return session.scalars(query.limit(1)).first()


def cohorts_for(session: Session, run_id: int, patient_id: int) -> Sequence[tuple[CohortMember, Cohort]]:
    query = (select(CohortMember, Cohort)
             .join(Cohort, (Cohort.run_id == CohortMember.run_id) & (Cohort.cohort == CohortMember.cohort))
             .where(CohortMember.run_id == run_id, CohortMember.patient_id == patient_id)
             .order_by(CohortMember.cohort))
    return [(member, cohort) for member, cohort in session.execute(query).all()]


def cohort_counts(session: Session, run_id: int, visible: Select[tuple[int]]) -> Sequence[tuple[Cohort, int]]:
    counted = (select(CohortMember.cohort, func.count().label("n"))
               .where(CohortMember.run_id == run_id, CohortMember.patient_id.in_(visible))
               .group_by(CohortMember.cohort).subquery())
    query = (select(Cohort, func.coalesce(counted.c.n, 0)).outerjoin(counted, counted.c.cohort == Cohort.cohort)
             .where(Cohort.run_id == run_id).order_by(Cohort.cohort))
    return [(cohort, int(n)) for cohort, n in session.execute(query).all()]


def in_care_management() -> Select[tuple[int]]:
    return select(CareTeamMember.patient_id).where(CareTeamMember.role.in_(CARE_MANAGER_ROLES),
                                                   CareTeamMember.period_end.is_(None))


def results_query(run_id: int, visible: Select[tuple[int]], filters: PopulationFilter, *,
                  not_managed: bool = False) -> Select[tuple[PatientResult, Patient]]:
    query = (select(PatientResult, Patient).join(Patient, Patient.id == PatientResult.patient_id)
             .where(PatientResult.run_id == run_id, PatientResult.patient_id.in_(visible)))
    if filters.cohort:
        query = query.where(exists().where(CohortMember.run_id == run_id, CohortMember.cohort == filters.cohort,
                                           CohortMember.patient_id == PatientResult.patient_id))
    if filters.tier:
        query = query.where(PatientResult.risk_tier == filters.tier)
    if not_managed:
        query = query.where(PatientResult.patient_id.not_in(in_care_management()))
    column = getattr(PatientResult, filters.sort.value)
    return query.order_by(column.desc().nulls_last(), PatientResult.patient_id)


def managed_among(session: Session, patient_ids: Sequence[int]) -> set[int]:
    return set(session.scalars(in_care_management().where(CareTeamMember.patient_id.in_(patient_ids))).all())


def open_task_for_gap(session: Session, gap_key: str) -> Task | None:
    query = (select(Task).join(GapTask, GapTask.task_id == Task.id)
             .where(GapTask.gap_key == gap_key, Task.status.in_(OPEN_STATUSES)).limit(1))
    return session.scalars(query).first()
