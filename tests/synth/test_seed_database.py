"""seed_population against the real backend: what lands in the database, read back through the ORM."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from careloop import db
from careloop.access import load_actor, visible_patient_ids
from careloop.auth.passwords import verify_password
from careloop.models import (
    Base,
    CareTeamMember,
    Condition,
    Encounter,
    EncounterClass,
    MedicationRequest,
    Observation,
    Patient,
    PatientIdentifier,
    Task,
    TaskEvent,
    TaskStatus,
    Team,
    TeamMembership,
    User,
)
from careloop.synth.generator import TABLES, PopulationExists, seed_population
from careloop.synth.staff import DEMO_PASSWORD, DEMO_STAFF
from careloop.tasks import service as tasks_service
from careloop.tasks.schemas import DueWindow, WorklistFilter
from careloop.tasks.workflow import OPEN_STATUSES
from careloop.users import repository as users_repo
from tests.conftest import empty_all_tables

AS_OF = datetime(2026, 3, 2, tzinfo=UTC)


def _dump() -> dict[str, list[tuple[Any, ...]]]:
    """Every row the seed writes, in key order, without the one column that is random by design."""
    out = {}
    with db.engine().connect() as conn:
        for name in TABLES:
            table = Base.metadata.tables[name]
            columns = [c for c in table.columns if c.name != "password_hash"]
            out[name] = [tuple(row) for row in conn.execute(select(*columns).order_by(table.c.id))]
    return out


def _empty_database() -> None:
    empty_all_tables()


def test_same_seed_writes_the_same_rows() -> None:
    first = seed_population(db.engine(), patients=120, seed=3, as_of=AS_OF, chunk_size=50)
    before = _dump()
    _empty_database()
    second = seed_population(db.engine(), patients=120, seed=3, as_of=AS_OF, chunk_size=50)
    assert first.rows == second.rows
    assert _dump() == before
    assert first.rows["patients"] == 120 and first.rows["observations"] > 120


def test_progress_reports_each_chunk() -> None:
    reported: list[int] = []
    seed_population(db.engine(), patients=130, seed=1, as_of=AS_OF, chunk_size=50, progress=reported.append)
    assert reported == [50, 50, 30]


def test_rows_read_back_through_the_orm(session: Session) -> None:
    seed_population(db.engine(), patients=150, seed=9)
    patient = session.scalars(select(Patient).options(joinedload(Patient.identifiers))).unique().first()
    assert patient is not None and isinstance(patient.public_id, uuid.UUID)
    assert patient.created_at.tzinfo is not None and patient.family_norm == patient.family.lower()
    assert any(i.system == "urn:careloop:mrn" and i.type_code == "MR" for i in patient.identifiers)
    tasks = session.scalars(select(Task).options(joinedload(Task.patient), joinedload(Task.owner_user),
                                                 joinedload(Task.owner_team))).unique().all()
    assert tasks and all(isinstance(t.status, TaskStatus) and t.version == 1 for t in tasks)
    assert all(t.authored_on.tzinfo is not None and t.last_modified >= t.authored_on for t in tasks)
    assert all((t.owner_user is not None) + (t.owner_team is not None) + (t.owner_role is not None) == 1
               for t in tasks if t.status in OPEN_STATUSES)
    for model in (Condition, Encounter, Observation, MedicationRequest, CareTeamMember, TaskEvent,
                  PatientIdentifier):
        assert session.scalar(select(func.count()).select_from(model)), model.__name__
    stay = session.scalar(select(Encounter).where(Encounter.class_code == EncounterClass.inpatient,
                                                  Encounter.discharge_disposition.is_not(None)))
    assert stay is not None and stay.period_end is not None and stay.period_end > stay.period_start


def test_keys_given_after_the_seed_do_not_collide() -> None:
    """PostgreSQL's sequences were moved past the keys the seed chose itself."""
    seed_population(db.engine(), patients=60, seed=2)
    with db.unit_of_work() as s:
        newest = s.scalar(select(func.max(Patient.id)))
        patient = Patient(family="Later", given="Added", family_norm="later", given_norm="added",
                          birth_date=date(1950, 1, 1), gender="female")
        s.add(patient)
        s.flush()
        assert patient.id > (newest or 0)
        s.add(Team(name="Added after the seed"))


def test_demo_staff_sign_in_with_the_demo_password(session: Session) -> None:
    seed_population(db.engine(), patients=40, seed=4)
    for member in DEMO_STAFF:
        user = users_repo.by_username(session, member.username)
        assert user is not None and user.roles == member.roles
        assert verify_password(user.password_hash, DEMO_PASSWORD)


def _actor(session: Session, username: str) -> Any:
    user = users_repo.by_username(session, username)
    assert user is not None
    return load_actor(session, user, channel="api")


def _visible(session: Session, username: str) -> int:
    ids = visible_patient_ids(_actor(session, username))
    return session.scalar(select(func.count(func.distinct(Patient.id))).where(Patient.id.in_(ids))) or 0


def test_the_coordinator_has_patients_and_a_worklist() -> None:
    seed_population(db.engine(), patients=300, seed=5)  # as of today, so some tasks are overdue now
    with db.unit_of_work() as s:
        actor = _actor(s, "coordinator")
        visible = _visible(s, "coordinator")
        _, total = tasks_service.worklist(s, actor, WorklistFilter())
        _, overdue = tasks_service.worklist(s, actor, WorklistFilter(due=DueWindow.overdue))
        queued = [t for t in tasks_service.worklist(s, actor, WorklistFilter(size=200))[0] if t.owner_user_id is None]
    assert 20 < visible < 300
    assert total > 10 and 0 < overdue < total
    assert queued, "some of the coordinator's work is queued to a role rather than owned"


def test_who_sees_whom(session: Session) -> None:
    seed_population(db.engine(), patients=300, seed=6)
    for username in ("nurse", "social", "doctor", "pharmacist", "chw"):
        assert _visible(session, username) > 0, username
    assert _visible(session, "leader") == 0 and _visible(session, "admin") == 0
    social = users_repo.by_username(session, "social")
    assert social is not None
    team_ids = session.scalars(select(TeamMembership.team_id).where(TeamMembership.user_id == social.id)).all()
    assert session.scalar(select(func.count()).select_from(CareTeamMember)
                          .where(CareTeamMember.team_id.in_(team_ids))), "social reaches patients via the team"


def _scalar(query: Any) -> Any:
    """A read in its own short transaction: on SQLite an open one would hold the write lock the seed needs."""
    with db.unit_of_work() as s:
        return s.scalar(query)


def test_refuses_to_seed_over_patients_unless_appending() -> None:
    seed_population(db.engine(), patients=50, seed=8)
    with pytest.raises(PopulationExists):
        seed_population(db.engine(), patients=50, seed=8)
    assert _scalar(select(func.count()).select_from(Patient)) == 50
    seed_population(db.engine(), patients=50, seed=8, append=True)
    assert _scalar(select(func.count()).select_from(Patient)) == 100
    assert _scalar(select(func.count(func.distinct(Patient.public_id)))) == 100
    with db.unit_of_work() as s:
        usernames = list(s.scalars(select(User.username)).all())
    assert len(usernames) == len(set(usernames)) and {"cm0001", "cm0002"} <= set(usernames)
    assert usernames.count("coordinator") == 1


def test_data_is_recent(session: Session) -> None:
    seed_population(db.engine(), patients=80, seed=10)
    now = datetime.now(UTC)
    planned = session.scalar(select(func.min(Encounter.period_start)).where(Encounter.status == "planned"))
    latest = session.scalar(select(func.max(Observation.effective_at)))
    assert planned is not None and now < planned < now + timedelta(days=62)
    assert latest is not None and now - timedelta(days=120) < latest < now
