"""Patient use cases: the coordinator's panel, the patient page, contact details."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sqlalchemy.orm import Session

from careloop import access, audit
from careloop.access import Actor, Permission
from careloop.careteams import repository as careteam_repo
from careloop.careteams.repository import ActiveMember
from careloop.clock import utcnow
from careloop.models import (
    Encounter,
    Patient,
)
from careloop.patients import repository as repo
from careloop.patients.chart_lists import ConditionRow, EncounterRow, MedicationRow, ObservationRow, chart_lists
from careloop.patients.repository import PatientCard
from careloop.patients.schemas import EncounterBrief, PanelFilter, PanelPage, PanelRow, PatientContactUpdate
from careloop.tasks import repository as tasks_repo
from careloop.tasks.summary import TaskSummary


def age_on(birth_date: date, today: date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def panel(session: Session, actor: Actor, filters: PanelFilter) -> PanelPage:
    """Patients the actor coordinates, with what needs attention; every patient shown is audited."""
    access.require_permission(session, actor, Permission.patient_read, action="panel.view")
    query = repo.panel_query(access.visible_patient_ids(actor), q=filters.q, identifier=filters.identifier,
                             birth_date=filters.birth_date)
    total = repo.count(session, query)
    patients = session.scalars(
        query.order_by(Patient.family_norm, Patient.given_norm, Patient.id)
        .offset((filters.page - 1) * filters.size).limit(filters.size)
    ).all()
    audit.record_list(session, actor, "panel.view", [p.id for p in patients])
    return PanelPage(items=_panel_rows(session, patients), total=total, page=filters.page, size=filters.size)


def _panel_rows(session: Session, patients: Sequence[Patient]) -> list[PanelRow]:
    ids = [p.id for p in patients]
    now = utcnow()
    counts = repo.task_counts(session, ids, now)
    conditions = repo.active_condition_names(session, ids)
    last, upcoming = repo.last_and_next_encounters(session, ids, now)
    mrns = repo.mrns(session, ids)
    return [
        PanelRow(
            id=p.public_id, name=p.display_name, birth_date=p.birth_date, age=age_on(p.birth_date, now.date()),
            gender=p.gender, mrn=mrns.get(p.id), open_tasks=counts.get(p.id, (0, 0))[0],
            overdue_tasks=counts.get(p.id, (0, 0))[1], active_conditions=conditions.get(p.id, []),
            last_encounter=encounter_brief(last.get(p.id)), next_encounter=encounter_brief(upcoming.get(p.id)),
        )
        for p in patients
    ]


def encounter_brief(encounter: Encounter | None) -> EncounterBrief | None:
    if encounter is None:
        return None
    return EncounterBrief(id=encounter.public_id, class_code=encounter.class_code, type_display=encounter.type_display,
                          status=encounter.status, start=encounter.period_start, end=encounter.period_end,
                          facility=encounter.facility)


@dataclass(frozen=True)
class PatientChart:
    """Everything the patient page shows, loaded in a fixed number of queries."""

    patient: PatientCard
    care_team: list[ActiveMember]
    # Named tuples with the models' fields (patients.chart_lists)
    conditions: Sequence[ConditionRow]
    medications: Sequence[MedicationRow]
    encounters: Sequence[EncounterRow]
    observations: Sequence[ObservationRow]
    open_tasks: Sequence[TaskSummary]
    closed_tasks: Sequence[TaskSummary]


def chart(session: Session, actor: Actor, patient_id: UUID) -> PatientChart:
    patient = repo.card(session, patient_id)
    access.require(session, actor, Permission.patient_read, patient, action="patient.read")
    open_tasks, closed_tasks = tasks_repo.patient_task_summaries(session, patient.id)
    lists = chart_lists(session, patient.id)
    return PatientChart(
        patient=patient,
        care_team=careteam_repo.active_member_rows(session, patient.id),
        conditions=lists.conditions,
        medications=lists.medications,
        encounters=lists.encounters,
        observations=lists.observations,
        open_tasks=open_tasks,
        closed_tasks=closed_tasks,
    )


def update_contact(session: Session, actor: Actor, patient_id: UUID, changes: PatientContactUpdate) -> Patient:
    patient = repo.get_with_identifiers(session, patient_id)
    fields = changes.model_dump(exclude_unset=True)
    access.require(session, actor, Permission.patient_write, patient, action="patient.update-contact")
    for name, value in fields.items():
        setattr(patient, name, value)
    session.flush()
    return patient
