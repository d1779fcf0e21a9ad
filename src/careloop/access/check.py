"""The one access check for patient data, and the scoped query that lists only what an actor may see."""

from __future__ import annotations

from functools import cache
from typing import Protocol
from uuid import UUID

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, exists, or_, select
from sqlalchemy.orm import Session

from careloop import audit
from careloop.access.actor import Actor
from careloop.access.permissions import PATIENT_SCOPED, Permission
from careloop.driver_reads import DriverRead
from careloop.errors import Forbidden
from careloop.models.audit import AuditOutcome
from careloop.models.careteam import CareTeamMember
from careloop.models.patient import Patient
from careloop.pending_inserts import PendingInserts


def _membership_clause(actor: Actor) -> ColumnElement[bool]:
    by_user = CareTeamMember.user_id == actor.user_id
    if actor.team_ids:
        return or_(by_user, CareTeamMember.team_id.in_(actor.team_ids))
    return by_user


def visible_patient_ids(actor: Actor) -> Select[tuple[int]]:
    """Ids of the patients on whose active care team the actor sits, directly or through a team.

    Use it in the WHERE of every list so that patients outside the actor's reach never show, not even
    in counts.
    """
    if actor.is_system:
        return select(Patient.id)
    return select(CareTeamMember.patient_id).where(
        _membership_clause(actor), CareTeamMember.period_end.is_(None)
    )


class PatientRef(Protocol):
    """What the check needs of a patient: an ORM Patient, or a row read for a page (patients.repository)."""

    @property
    def id(self) -> int: ...

    @property
    def public_id(self) -> UUID: ...


def is_on_care_team(session: Session, actor: Actor, patient_id: int) -> bool:
    params = {"patient_id": patient_id, "user_id": actor.user_id,
              **{f"team_{n}": team_id for n, team_id in enumerate(actor.team_ids)}}
    return bool(_on_care_team_read(len(actor.team_ids)).rows(session, params)[0][0])


@cache
def _on_care_team_read(team_count: int) -> DriverRead:
    """Built once per number of teams the actor is on (one bound value each, not an IN list that SQLAlchemy
    would expand on every run), and run on the driver's cursor: the check runs on every patient read."""
    by_user = CareTeamMember.user_id == bindparam("user_id")
    teams: list[BindParameter[int]] = [bindparam(f"team_{n}") for n in range(team_count)]
    mine = or_(by_user, CareTeamMember.team_id.in_(teams)) if teams else by_user
    statement = select(exists().where(CareTeamMember.patient_id == bindparam("patient_id"),
                                      CareTeamMember.period_end.is_(None), mine))
    return DriverRead(statement)


def _denial_reason(session: Session, actor: Actor, permission: Permission,
                   patient: PatientRef | None) -> str | None:
    if actor.is_system:
        return None
    if not actor.can(permission):
        return f"your role does not allow {permission.value}"
    if permission in PATIENT_SCOPED:
        if patient is None:
            return "no patient given for a patient-scoped permission"
        if not is_on_care_team(session, actor, patient.id):
            return "you are not on this patient's care team"
    return None


def require(
    session: Session,
    actor: Actor,
    permission: Permission,
    patient: PatientRef | None,
    *,
    action: str,
    entity_type: str | None = None,
    entity_id: str | None = None,
    audit_into: PendingInserts | None = None,
) -> None:
    """Allow or refuse `action`, and audit it either way (a refusal survives the rollback it causes).

    `audit_into`: a batch job's pending inserts, which take the allowed row and write it with the batch's
    other audit rows in one INSERT before the job's commit (a refusal is still written at once)."""
    reason = _denial_reason(session, actor, permission, patient)
    patient_id = patient.id if patient is not None else None
    entity_type = entity_type or ("patient" if patient is not None else None)
    entity_id = entity_id or (str(patient.public_id) if patient is not None else None)
    if reason is None:
        audit.record(session, actor, action, patient_id=patient_id, entity_type=entity_type, entity_id=entity_id,
                     into=audit_into)
        return
    audit.record(
        session, actor, action, outcome=AuditOutcome.denied, patient_id=patient_id,
        entity_type=entity_type, entity_id=entity_id, detail={"reason": reason},
    )
    raise Forbidden("You do not have access to this patient's record." if permission in PATIENT_SCOPED
                    else f"Not allowed: {reason}.")


def require_permission(session: Session, actor: Actor, permission: Permission, *, action: str) -> None:
    """For actions on no single patient (managing users, opening one's own worklist). Lists of patient
    data still filter with `visible_patient_ids` and audit each patient they show."""
    if actor.can(permission):
        if permission not in PATIENT_SCOPED:
            audit.record(session, actor, action)
        return
    audit.record(session, actor, action, outcome=AuditOutcome.denied, detail={"reason": "role"})
    raise Forbidden(f"Your role does not allow {permission.value}.")
