"""Builders for test data, and the personas every access test uses: a coordinator on the patient's care
team, a teammate reaching the patient through a team, an outsider with the same role but no link, and an
administrator who manages accounts but sees no clinical data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from careloop.access import Actor, load_actor
from careloop.clock import utcnow
from careloop.models import (
    CareTeamMember,
    CareTeamRole,
    Patient,
    PatientIdentifier,
    StaffRole,
    Task,
    TaskPriority,
    TaskStatus,
    Team,
    TeamMembership,
    User,
)

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Personas:
    coordinator_id: int
    teammate_id: int
    outsider_id: int
    admin_id: int
    team_id: int
    patient_id: int
    other_patient_id: int

    def actor(self, session: Session, user_id: int, channel: str = "api") -> Actor:
        user = session.get(User, user_id)
        assert user is not None
        return load_actor(session, user, channel=channel)


def make_user(session: Session, username: str, roles: list[StaffRole], *, password: str | None = PASSWORD) -> User:
    from careloop.auth.passwords import hash_password

    user = User(username=username, display_name=username.title(), roles=[r.value for r in roles],
                password_hash=hash_password(password) if password else None)
    session.add(user)
    session.flush()
    return user


def make_patient(session: Session, family: str = "Rivera", given: str = "Ana", *, mrn: str | None = None,
                 birth_date: date = date(1948, 3, 14)) -> Patient:
    patient = Patient(family=family, given=given, family_norm=family.lower(), given_norm=given.lower(),
                      birth_date=birth_date, gender="female", preferred_language="es")
    session.add(patient)
    session.flush()
    session.add(PatientIdentifier(patient_id=patient.id, system="urn:careloop:mrn", value=mrn or f"MRN{patient.id:06d}",
                                  type_code="MR"))
    return patient


def add_member(session: Session, patient: Patient, role: CareTeamRole, *, user: User | None = None,
               team: Team | None = None, name: str | None = None) -> CareTeamMember:
    member = CareTeamMember(patient_id=patient.id, user_id=user.id if user else None, team_id=team.id if team else None,
                            member_name=name, role=role, period_start=utcnow())
    session.add(member)
    session.flush()
    return member


def make_task(session: Session, patient: Patient, *, owner: User | None = None, title: str = "Call patient",
              status: TaskStatus = TaskStatus.ready, due_in: timedelta | None = timedelta(days=1),
              priority: TaskPriority = TaskPriority.routine, owner_role: str | None = None,
              team: Team | None = None, task_type: str = "outreach") -> Task:
    from careloop.models import PRIORITY_RANK

    now = utcnow()
    task = Task(patient_id=patient.id, type=task_type, title=title, status=status, priority=priority,
                priority_rank=PRIORITY_RANK[priority], owner_user_id=owner.id if owner else None,
                owner_team_id=team.id if team else None, owner_role=owner_role, authored_on=now,
                last_modified=now, due_at=now + due_in if due_in is not None else None)
    session.add(task)
    session.flush()
    return task


def make_personas(session: Session) -> Personas:
    coordinator = make_user(session, "cora", [StaffRole.rn_care_manager])
    teammate = make_user(session, "tess", [StaffRole.social_worker])
    outsider = make_user(session, "oscar", [StaffRole.rn_care_manager])
    admin = make_user(session, "ada", [StaffRole.admin])
    team = Team(name="North care management")
    session.add(team)
    session.flush()
    session.add(TeamMembership(team_id=team.id, user_id=teammate.id))
    patient = make_patient(session)
    add_member(session, patient, CareTeamRole.rn_care_manager, user=coordinator)
    add_member(session, patient, CareTeamRole.social_worker, team=team)
    add_member(session, patient, CareTeamRole.family_caregiver, name="Lucia Rivera (daughter)")
    other = make_patient(session, "Okafor", "Ben", birth_date=date(1939, 11, 2))
    add_member(session, other, CareTeamRole.rn_care_manager, user=outsider)
    return Personas(coordinator.id, teammate.id, outsider.id, admin.id, team.id, patient.id, other.id)
