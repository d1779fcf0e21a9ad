"""Patient JSON routes: the panel and the patient record."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from careloop.access import Actor
from careloop.careteams.schemas import CareTeamMemberOut
from careloop.careteams.service import member_out
from careloop.clock import utcnow
from careloop.http.deps import ApiActor, DbSession, as_api_actor, credentials_presented
from careloop.http.responses import ModelResponse
from careloop.models import Condition, Encounter, MedicationRequest, Observation, Patient
from careloop.patients import service
from careloop.patients.chart_lists import ConditionRow, EncounterRow, MedicationRow, ObservationRow
from careloop.patients.repository import PatientCard
from careloop.patients.schemas import (
    ConditionOut,
    EncounterOut,
    IdentifierOut,
    MedicationOut,
    ObservationOut,
    PanelFilter,
    PanelPage,
    PatientContactUpdate,
    PatientOut,
)
from careloop.tasks.api import task_out
from careloop.tasks.schemas import TaskOut

router = APIRouter(tags=["patients"])


class PatientRecord(BaseModel):
    patient: PatientOut
    care_team: list[CareTeamMemberOut]
    conditions: list[ConditionOut]
    medications: list[MedicationOut]
    encounters: list[EncounterOut]
    observations: list[ObservationOut]
    open_tasks: list[TaskOut]
    closed_tasks: list[TaskOut]


@router.get("/patients", response_model=PanelPage, summary="My panel")
def my_panel(
    session: DbSession,
    actor: ApiActor,
    q: Annotated[str | None, Query(max_length=100, description="name, or 'family, given'")] = None,
    identifier: Annotated[str | None, Query(max_length=100)] = None,
    birth_date: date | None = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 25,
) -> PanelPage:
    """Patients on whose care team I sit, with open and overdue tasks, conditions, last and next visit."""
    filters = PanelFilter(q=q, identifier=identifier, birth_date=birth_date, page=page, size=size)
    return service.panel(session, actor, filters)


@router.get("/patients/{patient_id}", response_model=PatientRecord, dependencies=[Depends(credentials_presented)])
async def patient_record(patient_id: UUID, request: Request) -> ModelResponse:
    return await as_api_actor(request, partial(_patient_record, patient_id))


def _patient_record(patient_id: UUID, session: Session, actor: Actor) -> ModelResponse:
    chart = service.chart(session, actor, patient_id)
    now = utcnow()
    return ModelResponse(PatientRecord(
        patient=patient_out(chart.patient),
        care_team=[member_out(m) for m in chart.care_team],
        conditions=[condition_out(c) for c in chart.conditions],
        medications=[medication_out(m) for m in chart.medications],
        encounters=[encounter_out(e) for e in chart.encounters],
        observations=[observation_out(o) for o in chart.observations],
        open_tasks=[task_out(t, now) for t in chart.open_tasks],
        closed_tasks=[task_out(t, now) for t in chart.closed_tasks],
    ))


@router.patch("/patients/{patient_id}/contact", response_model=PatientOut)
def update_contact(patient_id: UUID, body: PatientContactUpdate, session: DbSession, actor: ApiActor) -> PatientOut:
    return patient_out(service.update_contact(session, actor, patient_id, body))


def patient_out(p: Patient | PatientCard) -> PatientOut:
    address = ", ".join(part for part in (p.address_line, p.city, p.state, p.postal_code) if part) or None
    return PatientOut(
        id=p.public_id, family=p.family, given=p.given, name=p.display_name, birth_date=p.birth_date,
        age=service.age_on(p.birth_date, utcnow().date()), gender=p.gender, deceased_at=p.deceased_at,
        preferred_language=p.preferred_language, interpreter_needed=p.interpreter_needed, phone=p.phone,
        email=p.email, address=address, contact_method=p.contact_method, contact_notes=p.contact_notes,
        identifiers=[IdentifierOut(system=i.system, value=i.value, type=i.type_code) for i in p.identifiers],
    )


def condition_out(c: Condition | ConditionRow) -> ConditionOut:
    return ConditionOut(id=c.public_id, code_system=c.code_system, code=c.code, display=c.display, icd10=c.icd10,
                        category=c.category, clinical_status=c.clinical_status, onset_date=c.onset_date)


def medication_out(m: MedicationRequest | MedicationRow) -> MedicationOut:
    return MedicationOut(id=m.public_id, rxnorm=m.rxnorm, display=m.display, status=m.status, dosage=m.dosage_text,
                         authored_on=m.authored_on)


def encounter_out(e: Encounter | EncounterRow) -> EncounterOut:
    return EncounterOut(id=e.public_id, class_code=e.class_code, type_display=e.type_display, status=e.status,
                        start=e.period_start, end=e.period_end, facility=e.facility, location=e.location,
                        reason=e.reason_display, discharge_disposition=e.discharge_disposition)


def observation_out(o: Observation | ObservationRow) -> ObservationOut:
    value = f"{o.value_num:g}" if o.value_num is not None else (o.value_text or "")
    return ObservationOut(id=o.public_id, code=o.code, display=o.display, category=o.category,
                          effective_at=o.effective_at, value=value, unit=o.unit)
