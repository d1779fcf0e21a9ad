"""Patient queries. Lists take the caller's visible-patient subquery so nothing outside it can show."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import Select, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import Session, joinedload

from careloop.driver_reads import DriverRead
from careloop.errors import NotFound
from careloop.models import (
    AdministrativeGender,
    Condition,
    ContactMethod,
    Encounter,
    EncounterStatus,
    MedicationRequest,
    MedicationRequestStatus,
    Patient,
    PatientIdentifier,
    Task,
)
from careloop.models.condition import ACTIVE_CLINICAL_STATUSES
from careloop.tasks.workflow import ACTIVE_STATUSES

MRN_SYSTEM = "urn:careloop:mrn"


def get_or_raise(session: Session, public_id: UUID) -> Patient:
    patient = session.scalar(select(Patient).where(Patient.public_id == public_id))
    if patient is None:
        raise NotFound(f"No patient {public_id}.")
    return patient


# The patient page's statements are built once, with bound parameters: it is the page read most after the
# worklist, and building a SQLAlchemy statement costs more than SQLite takes to run it.
# A joined load, not a select-in load: a patient has a handful of identifiers, and one statement is cheaper.
_WITH_IDENTIFIERS = (select(Patient).where(Patient.public_id == bindparam("public_id"))
                     .options(joinedload(Patient.identifiers)))


class IdentifierRow(NamedTuple):
    system: str
    value: str
    type_code: str | None


class PatientCard(NamedTuple):
    """A patient as the patient page shows them (demographics, contact, identifiers), read as rows: the page is
    read all day, and the ORM object with its joined identifiers cost three times the query."""

    id: int
    public_id: UUID
    family: str
    given: str
    birth_date: date
    gender: AdministrativeGender
    deceased_at: datetime | None
    preferred_language: str
    interpreter_needed: bool
    phone: str | None
    email: str | None
    address_line: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    contact_method: ContactMethod
    contact_notes: str | None
    identifiers: tuple[IdentifierRow, ...]

    @property
    def display_name(self) -> str:
        return Patient.name_of(self.family, self.given)


_CARD_FIELDS = len(PatientCard._fields) - 1  # the patient's own columns, then an identifier's three
_CARD = DriverRead(
    select(Patient.id, Patient.public_id, Patient.family, Patient.given, Patient.birth_date, Patient.gender,
           Patient.deceased_at, Patient.preferred_language, Patient.interpreter_needed, Patient.phone, Patient.email,
           Patient.address_line, Patient.city, Patient.state, Patient.postal_code, Patient.contact_method,
           Patient.contact_notes, PatientIdentifier.system, PatientIdentifier.value, PatientIdentifier.type_code)
    .outerjoin(PatientIdentifier, PatientIdentifier.patient_id == Patient.id)
    .where(Patient.public_id == bindparam("public_id"))
    .order_by(PatientIdentifier.id)
)


def card(session: Session, public_id: UUID) -> PatientCard:
    rows = _CARD.rows(session, {"public_id": public_id})
    if not rows:
        raise NotFound(f"No patient {public_id}.")
    identifiers = tuple(IdentifierRow(*row[_CARD_FIELDS:]) for row in rows if row[_CARD_FIELDS] is not None)
    return PatientCard._make((*rows[0][:_CARD_FIELDS], identifiers))


def get_with_identifiers(session: Session, public_id: UUID) -> Patient:
    patient = session.scalars(_WITH_IDENTIFIERS, {"public_id": public_id}).unique().one_or_none()
    if patient is None:
        raise NotFound(f"No patient {public_id}.")
    return patient


def panel_query(visible: Select[tuple[int]], *, q: str | None, identifier: str | None,
                birth_date: date | None) -> Select[tuple[Patient]]:
    query = select(Patient).where(Patient.id.in_(visible))
    if q:
        query = query.where(_name_matches(q))
    if identifier:
        query = query.where(Patient.id.in_(select(PatientIdentifier.patient_id).where(
            PatientIdentifier.value == identifier)))
    if birth_date:
        query = query.where(Patient.birth_date == birth_date)
    return query


def _name_matches(q: str) -> Any:
    """'riv' matches family or given name prefixes; 'rivera, an' matches family then given."""
    if "," in q:
        family, given = (part.strip().lower() for part in q.split(",", 1))
        return and_(Patient.family_norm.startswith(family, autoescape=True),
                    Patient.given_norm.startswith(given, autoescape=True))
    term = q.lower()
    return or_(Patient.family_norm.startswith(term, autoescape=True),
               Patient.given_norm.startswith(term, autoescape=True))


def count(session: Session, query: Select[tuple[Patient]]) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def mrns(session: Session, patient_ids: Sequence[int]) -> dict[int, str]:
    rows = session.execute(select(PatientIdentifier.patient_id, PatientIdentifier.value).where(
        PatientIdentifier.patient_id.in_(patient_ids), PatientIdentifier.system == MRN_SYSTEM))
    return {pid: value for pid, value in rows}


def task_counts(session: Session, patient_ids: Sequence[int], now: datetime) -> dict[int, tuple[int, int]]:
    """(open, overdue) per patient, in one grouped query."""
    overdue = func.sum(case((Task.due_at < now, 1), else_=0))
    rows = session.execute(
        select(Task.patient_id, func.count(), overdue)
        .where(Task.patient_id.in_(patient_ids), Task.status.in_(ACTIVE_STATUSES))
        .group_by(Task.patient_id)
    )
    return {pid: (int(n), int(late or 0)) for pid, n, late in rows}


def active_condition_names(session: Session, patient_ids: Sequence[int]) -> dict[int, list[str]]:
    rows = session.execute(
        select(Condition.patient_id, Condition.display)
        .where(Condition.patient_id.in_(patient_ids), Condition.clinical_status.in_(ACTIVE_CLINICAL_STATUSES),
               Condition.category != "encounter-diagnosis")
        .order_by(Condition.patient_id, Condition.display)
    )
    names: dict[int, list[str]] = defaultdict(list)
    for pid, display in rows:
        if display not in names[pid]:
            names[pid].append(display)
    return names


def last_and_next_encounters(
    session: Session, patient_ids: Sequence[int], now: datetime
) -> tuple[dict[int, Encounter], dict[int, Encounter]]:
    last_start = (select(Encounter.patient_id, func.max(Encounter.period_start).label("at"))
                  .where(Encounter.patient_id.in_(patient_ids), Encounter.period_start <= now,
                         Encounter.status != EncounterStatus.entered_in_error)
                  .group_by(Encounter.patient_id).subquery())
    next_start = (select(Encounter.patient_id, func.min(Encounter.period_start).label("at"))
                  .where(Encounter.patient_id.in_(patient_ids), Encounter.period_start > now,
                         Encounter.status == EncounterStatus.planned)
                  .group_by(Encounter.patient_id).subquery())
    return _encounters_at(session, last_start), _encounters_at(session, next_start)


def _encounters_at(session: Session, starts: Any) -> dict[int, Encounter]:
    query = select(Encounter).join(
        starts, and_(Encounter.patient_id == starts.c.patient_id, Encounter.period_start == starts.c.at))
    return {e.patient_id: e for e in session.scalars(query)}


# Medication reconciliation's starting list (the patient page reads its lists in patients.chart_lists).
_ACTIVE_MEDICATIONS = (
    select(MedicationRequest)
    .where(MedicationRequest.patient_id == bindparam("patient_id"),
           MedicationRequest.status.in_([MedicationRequestStatus.active, MedicationRequestStatus.on_hold]))
    .order_by(MedicationRequest.display)
)


def active_medications(session: Session, patient_id: int) -> Sequence[MedicationRequest]:
    """As ORM objects: medication reconciliation works on them."""
    return session.scalars(_ACTIVE_MEDICATIONS, {"patient_id": patient_id}).all()
