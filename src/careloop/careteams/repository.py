"""Care team queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session, joinedload

from careloop.driver_reads import DriverRead
from careloop.errors import NotFound
from careloop.models import CareTeamMember, CareTeamRole, Team, TeamMembership, User

_ACTIVE_MEMBERS = (  # built once: every patient page reads it
    select(CareTeamMember)
    .where(CareTeamMember.patient_id == bindparam("patient_id"), CareTeamMember.period_end.is_(None))
    .options(joinedload(CareTeamMember.user), joinedload(CareTeamMember.team))
    .order_by(CareTeamMember.role, CareTeamMember.id)
)


def active_members(session: Session, patient_id: int) -> Sequence[CareTeamMember]:
    return session.scalars(_ACTIVE_MEMBERS, {"patient_id": patient_id}).all()


class MemberUser(NamedTuple):
    public_id: UUID
    display_name: str


class MemberTeam(NamedTuple):
    public_id: UUID
    name: str


class ActiveMember(NamedTuple):
    """A care team membership as the pages that list the team read it: the fields of CareTeamMember they
    show, with the member's user or team as (public id, name)."""

    public_id: UUID
    role: CareTeamRole
    user_id: int | None
    user: MemberUser | None
    team: MemberTeam | None
    member_name: str | None
    member_contact: str | None
    period_start: datetime
    period_end: datetime | None
    end_reason: str | None


def active_member_rows(session: Session, patient_id: int) -> list[ActiveMember]:
    """The patient's active care team, in the order of active_members, as rows: the patient page and the team
    lists only read it, and ORM objects with their joined user and team cost several times the query."""
    return [ActiveMember(public_id, role, user_id, MemberUser(user_public_id, user_name) if user_id is not None
                         else None, MemberTeam(team_public_id, team_name) if team_id is not None else None,
                         name, contact, start, end, reason)
            for (public_id, role, user_id, user_public_id, user_name, team_id, team_public_id, team_name, name,
                 contact, start, end, reason) in _ACTIVE_MEMBER_ROWS.rows(session, {"patient_id": patient_id})]


_ACTIVE_MEMBER_ROWS = DriverRead(
    select(CareTeamMember.public_id, CareTeamMember.role, CareTeamMember.user_id, User.public_id, User.display_name,
           CareTeamMember.team_id, Team.public_id, Team.name, CareTeamMember.member_name,
           CareTeamMember.member_contact, CareTeamMember.period_start, CareTeamMember.period_end,
           CareTeamMember.end_reason)
    .outerjoin(User, User.id == CareTeamMember.user_id)
    .outerjoin(Team, Team.id == CareTeamMember.team_id)
    .where(CareTeamMember.patient_id == bindparam("patient_id"), CareTeamMember.period_end.is_(None))
    .order_by(CareTeamMember.role, CareTeamMember.id)
)


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
