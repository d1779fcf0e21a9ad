"""Population JSON routes: behind the same access check as the rest (a user sees only their patients)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel

from careloop.http.deps import ApiActor, DbSession
from careloop.population import service
from careloop.population.schemas import (
    CohortCountOut,
    EnrollIn,
    GapTaskIn,
    GapTaskOut,
    PatientPopulationOut,
    PopulationFilter,
    PopulationPage,
    RunOut,
)
from careloop.tasks.api import task_out
from careloop.tasks.schemas import TaskOut

router = APIRouter(tags=["population"])


class CohortsOut(BaseModel):
    run: RunOut | None
    cohorts: list[CohortCountOut]


@router.get("/patients/{patient_id}/population", response_model=PatientPopulationOut,
            summary="A patient's risk scores (with their evidence), care gaps and cohorts")
def patient_population(patient_id: UUID, session: DbSession, actor: ApiActor) -> PatientPopulationOut:
    return service.patient_population(session, actor, patient_id)


@router.get("/population/cohorts", response_model=CohortsOut, summary="Cohorts with counts of my patients")
def cohorts(session: DbSession, actor: ApiActor) -> CohortsOut:
    run, counts = service.cohort_counts(session, actor)
    return CohortsOut(run=run, cohorts=counts)


@router.get("/population/patients", response_model=PopulationPage, summary="My scored patients")
def population_patients(session: DbSession, actor: ApiActor,
                        filters: Annotated[PopulationFilter, Depends()]) -> PopulationPage:
    return service.population_list(session, actor, filters)


@router.get("/population/worklist", response_model=PopulationPage,
            summary="High-risk patients of mine not yet in care management")
def enrollment_worklist(session: DbSession, actor: ApiActor,
                        filters: Annotated[PopulationFilter, Depends()]) -> PopulationPage:
    return service.population_list(session, actor, filters, worklist=True)


@router.post("/patients/{patient_id}/population/enroll", response_model=list[TaskOut],
             status_code=status.HTTP_201_CREATED, summary="Enroll in care management (care manager, first tasks)")
def enroll(patient_id: UUID, body: EnrollIn, session: DbSession, actor: ApiActor) -> list[TaskOut]:
    return [task_out(t) for t in service.enroll(session, actor, patient_id, body)]


@router.post("/patients/{patient_id}/population/gap-task", response_model=GapTaskOut,
             summary="An outreach task for an open care gap (one open task per gap)")
def gap_task(patient_id: UUID, body: GapTaskIn, session: DbSession, actor: ApiActor) -> GapTaskOut:
    return service.gap_task(session, actor, patient_id, body)
