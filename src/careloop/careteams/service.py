"""Care team use cases: see, add and end memberships. Ending keeps the row (who could see the patient
and when is part of the record)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.orm import Session

from careloop import access
from careloop.access import Actor, Permission
from careloop.careteams import repository as repo
from careloop.careteams.repository import ActiveMember, MemberTeam, MemberUser
from careloop.careteams.schemas import CareTeamMemberIn, CareTeamMemberOut
from careloop.clock import utcnow
from careloop.errors import Conflict, InvalidInput
from careloop.models import CareTeamMember, Team, User
from careloop.patients import repository as patients_repo
from careloop.users import repository as users_repo


def list_members(session: Session, actor: Actor, patient_id: UUID) -> list[ActiveMember]:
    patient = patients_repo.get_or_raise(session, patient_id)
    access.require(session, actor, Permission.patient_read, patient, action="careteam.read")
    return repo.active_member_rows(session, patient.id)


def add_member(session: Session, actor: Actor, patient_id: UUID, data: CareTeamMemberIn) -> CareTeamMember:
    patient = patients_repo.get_or_raise(session, patient_id)
    access.require(session, actor, Permission.careteam_write, patient, action="careteam.add")
    user = users_repo.get_active_or_raise(session, data.user_id) if data.user_id else None
    team = users_repo.get_team_or_raise(session, data.team_id) if data.team_id else None
    if user is not None and not user.roles:
        raise InvalidInput(f"{user.display_name} has no clinical role to join a care team with.")
    if repo.already_member(session, patient.id, user_id=user.id if user else None, team_id=team.id if team else None,
                           name=data.name, role=data.role):
        raise Conflict("That member already holds this role on the care team.")
    member = CareTeamMember(
        patient_id=patient.id, user_id=user.id if user else None, team_id=team.id if team else None,
        member_name=data.name, member_contact=data.contact, role=data.role, period_start=utcnow(),
        added_by_id=actor.user_id, user=user, team=team,
    )
    session.add(member)
    session.flush()
    return member


def end_membership(session: Session, actor: Actor, member_id: UUID, reason: str) -> CareTeamMember:
    member = repo.get_or_raise(session, member_id)
    access.require(session, actor, Permission.careteam_write, member.patient, action="careteam.end",
                   entity_type="care-team-member", entity_id=str(member.public_id))
    if member.period_end is not None:
        raise Conflict("This membership has already ended.")
    member.period_end = utcnow()
    member.end_reason = reason
    session.flush()
    return member


def member_out(member: CareTeamMember | ActiveMember) -> CareTeamMemberOut:
    kind, member_id, name = _who(member.user, member.team, member.member_name)
    return CareTeamMemberOut(id=member.public_id, role=member.role, kind=kind, member_id=member_id, name=name,
                             contact=member.member_contact, since=member.period_start, ended=member.period_end,
                             end_reason=member.end_reason)


def _who(user: User | MemberUser | None, team: Team | MemberTeam | None,
         name: str | None) -> tuple[str, UUID | None, str]:
    if user is not None:
        return "user", user.public_id, user.display_name
    if team is not None:
        return "team", team.public_id, team.name
    return "person", None, name or "unknown"
