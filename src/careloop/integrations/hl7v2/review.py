"""The review queue: ADT messages held because no patient, or several, carry their PID-3 identifier.

A coordinator compares the message's name, birth date and sex with candidate patients (only those they may
see), then links the identifier to one of them or creates the patient. Either way the identifier becomes
the patient's, and every held message for it goes back to the worker, which applies them in arrival order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from careloop import access, audit
from careloop.access import Actor, Permission
from careloop.clock import utcnow
from careloop.config import get_settings
from careloop.errors import Conflict, InvalidInput, NotFound
from careloop.integrations.hl7v2.adt import AdtMessage, Refusal, read_adt
from careloop.integrations.hl7v2.store import APPLY_JOB
from careloop.models.careteam import CareTeamMember, CareTeamRole
from careloop.models.hl7v2 import Hl7Message, Hl7MessageStatus, is_held
from careloop.models.patient import AdministrativeGender, Patient, PatientIdentifier
from careloop.worker.queue import enqueue

MAX_CANDIDATES = 10


@dataclass(frozen=True)
class HeldGroup:
    """The held messages waiting on one identifier, shown through the first of them."""

    first: Hl7Message
    message: AdtMessage
    count: int


@dataclass(frozen=True)
class HeldDetail:
    group: HeldGroup
    candidates: list[Patient]


def held_groups(session: Session, actor: Actor, *, limit: int = 100) -> list[HeldGroup]:
    access.require_permission(session, actor, Permission.hl7_review, action="hl7v2.review.list")
    first_ids = (select(func.min(Hl7Message.id).label("id"), func.count().label("n"))
                 .where(is_held())
                 .group_by(Hl7Message.identifier_system, Hl7Message.identifier_value).subquery())
    rows = session.execute(select(Hl7Message, first_ids.c.n).join(first_ids, first_ids.c.id == Hl7Message.id)
                           .order_by(Hl7Message.id).limit(limit)).all()
    return [HeldGroup(row, _read(row), count) for row, count in rows]


def held_detail(session: Session, actor: Actor, message_id: UUID) -> HeldDetail:
    access.require_permission(session, actor, Permission.hl7_review, action="hl7v2.review.read")
    group = _group_of(session, message_id)
    candidates = _candidates(session, actor, group.message)
    audit.record_list(session, actor, "hl7v2.review.candidates", [p.id for p in candidates])
    return HeldDetail(group, candidates)


def link(session: Session, actor: Actor, message_id: UUID, patient_id: UUID) -> int:
    """Give the held identifier to an existing patient; returns how many messages go back to the worker."""
    access.require_permission(session, actor, Permission.hl7_review, action="hl7v2.review.link")
    group = _group_of(session, message_id)
    patient = session.scalar(select(Patient).where(Patient.public_id == patient_id))
    if patient is None:
        raise NotFound("No such patient.")
    access.require(session, actor, Permission.patient_write, patient, action="hl7v2.review.link")
    _add_identifier(session, patient, group)
    return _release(session, group)


def create_patient(session: Session, actor: Actor, message_id: UUID) -> tuple[Patient, int]:
    """Create the patient the held messages describe, with the coordinator on the care team; returns it and
    how many messages go back to the worker."""
    access.require_permission(session, actor, Permission.hl7_review, action="hl7v2.review.create")
    group = _group_of(session, message_id)
    message = group.message
    if not (message.family and message.given and message.birth_date):
        raise InvalidInput("The message lacks a family name, given name or birth date (PID-5, PID-7); link it to "
                           "an existing patient instead.")
    patient = _new_patient(message, message.birth_date)
    session.add(patient)
    session.flush()
    session.add(CareTeamMember(patient_id=patient.id, user_id=actor.user_id, role=_care_team_role(actor),
                               period_start=utcnow(), added_by_id=actor.user_id))
    session.flush()  # the access check below reads memberships with a Core query, which does not autoflush
    access.require(session, actor, Permission.patient_write, patient, action="patient.create")
    _add_identifier(session, patient, group)
    return patient, _release(session, group)


def _read(row: Hl7Message) -> AdtMessage:
    try:
        return read_adt(row.raw, get_settings().timezone)
    except Refusal as exc:  # it was accepted once; a changed rule must not hide it from review
        raise Conflict(f"Held message {row.public_id} no longer reads: {exc}") from exc


def _group_of(session: Session, message_id: UUID) -> HeldGroup:
    row = session.scalar(select(Hl7Message).where(Hl7Message.public_id == message_id))
    if row is None or row.status is not Hl7MessageStatus.held:
        raise NotFound("No held ADT message with that id (it may have been resolved already).")
    same = _same_identifier(row)
    first = session.scalars(select(Hl7Message).where(same).order_by(Hl7Message.id).limit(1)).one()
    count = session.scalar(select(func.count()).select_from(Hl7Message).where(same)) or 0
    return HeldGroup(first, _read(first), count)


def _same_identifier(row: Hl7Message) -> ColumnElement[bool]:
    return and_(is_held(),
                Hl7Message.identifier_system == row.identifier_system,
                Hl7Message.identifier_value == row.identifier_value)


def _candidates(session: Session, actor: Actor, message: AdtMessage) -> list[Patient]:
    """Patients the coordinator may see with the same birth date, or the same family and given name."""
    same_name = and_(Patient.family_norm == message.family.lower(), Patient.given_norm == message.given.lower())
    alike = or_(Patient.birth_date == message.birth_date, same_name) if message.birth_date else same_name
    query = (select(Patient).where(Patient.id.in_(access.visible_patient_ids(actor)), alike)
             .order_by(Patient.family_norm, Patient.given_norm, Patient.id).limit(MAX_CANDIDATES))
    return list(session.scalars(query))


def _add_identifier(session: Session, patient: Patient, group: HeldGroup) -> None:
    system, value = group.first.identifier_system, group.first.identifier_value
    assert system is not None and value is not None  # held messages always carry one (see apply.py)
    owner = session.scalar(select(PatientIdentifier).where(PatientIdentifier.system == system,
                                                          PatientIdentifier.value == value))
    if owner is not None and owner.patient_id != patient.id:
        raise Conflict(f"Identifier {value} ({system}) already belongs to another patient; the held messages are "
                       "ambiguous there, so resolve the duplicate record first.")
    if owner is None:
        type_code = group.message.match_identifier.type_code
        session.add(PatientIdentifier(patient_id=patient.id, system=system, value=value, type_code=type_code))
        session.flush()


def _release(session: Session, group: HeldGroup) -> int:
    """Send every held message for the identifier back to the worker, which applies them in arrival order."""
    released = session.execute(update(Hl7Message).where(_same_identifier(group.first))
                               .values(status=Hl7MessageStatus.received, error=None))
    enqueue(session, APPLY_JOB, {"released_from": group.first.id}, key=f"{APPLY_JOB}:release:{group.first.id}")
    return int(released.rowcount)  # type: ignore[attr-defined]


def _new_patient(message: AdtMessage, birth_date: date) -> Patient:
    return Patient(family=message.family, given=message.given, family_norm=message.family.lower(),
                   given_norm=message.given.lower(), birth_date=birth_date,
                   gender=AdministrativeGender(message.sex))


def _care_team_role(actor: Actor) -> CareTeamRole:
    return CareTeamRole.rn_care_manager if "rn-care-manager" in actor.roles else CareTeamRole.care_coordinator
