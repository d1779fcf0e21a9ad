"""Care team queries."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session, joinedload

from careloop.errors import NotFound
from careloop.models import CareTeamMember, TeamMembership

_ACTIVE_MEMBERS = (  # built once: every patient page reads it
    select(CareTeamMember)
    .where(CareTeamMember.patient_id == bindparam("patient_id"), CareTeamMember.period_end.is_(None))
    .options(joinedload(CareTeamMember.user), joinedload(CareTeamMember.team))
    .order_by(CareTeamMember.role, CareTeamMember.id)
)


def active_members(session: Session, patient_id: int) -> Sequence[CareTeamMember]:
    return session.scalars(_ACTIVE_MEMBERS, {"patient_id": patient_id}).all()


def get_or_raise(session: Session, member_id: UUID) -> CareTeamMember:
    member = session.scalar(
        select(CareTeamMember).where(CareTeamMember.public_id == member_id)
        .options(joinedload(CareTeamMember.patient), joinedload(CareTeamMember.user), joinedload(CareTeamMember.team))
    )
    if member is None:
        raise NotFound(f"No care team membership {member_id}.")
    return member


def user_reaches_patient(session: Session, user_id: int, patient_id: int) -> bool:
    """Is the user on the patient's active care team, directly or through one of their teams?"""
    via_team = select(TeamMembership.team_id).where(TeamMembership.user_id == user_id)
    return bool(session.scalar(select(exists().where(
        CareTeamMember.patient_id == patient_id,
        CareTeamMember.period_end.is_(None),
        (CareTeamMember.user_id == user_id) | CareTeamMember.team_id.in_(via_team),
    ))))


def team_on_care_team(session: Session, team_id: int, patient_id: int) -> bool:
    return bool(session.scalar(select(exists().where(
        CareTeamMember.patient_id == patient_id, CareTeamMember.period_end.is_(None), CareTeamMember.team_id == team_id,
    ))))


def already_member(session: Session, patient_id: int, *, user_id: int | None, team_id: int | None,
                   name: str | None, role: str) -> bool:
    query = select(exists().where(
        CareTeamMember.patient_id == patient_id, CareTeamMember.period_end.is_(None), CareTeamMember.role == role,
        CareTeamMember.user_id.is_(None) if user_id is None else CareTeamMember.user_id == user_id,
        CareTeamMember.team_id.is_(None) if team_id is None else CareTeamMember.team_id == team_id,
        CareTeamMember.member_name.is_(None) if name is None else CareTeamMember.member_name == name,
    ))
    return bool(session.scalar(query))
