"""careloop.driver_reads: a statement run on the driver's cursor returns what SQLAlchemy's execution returns
(types processed both ways: UUIDs, UTC times, enums, NULLs of outer joins), on either backend."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from careloop import db
from careloop.careteams.repository import _ACTIVE_MEMBER_ROWS, active_member_rows, active_members
from careloop.clock import utcnow
from careloop.driver_reads import DriverRead
from careloop.errors import NotFound
from careloop.models import CareTeamMember, CareTeamRole, Patient, PatientIdentifier, Task, TaskStatus
from careloop.patients import repository as patients_repo
from tests.factories import Personas, make_task


def _through_sqlalchemy(session: Session, read: DriverRead, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in session.execute(read.statement, params).all()]


def test_rows_equal_sqlalchemy_rows_with_outer_joins_enums_and_times(session: Session, personas: Personas) -> None:
    params = {"patient_id": personas.patient_id}
    rows = _ACTIVE_MEMBER_ROWS.rows(session, params)
    assert len(rows) == 3  # a user, a team and a person without an account: NULLs on each side of the joins
    assert rows == _through_sqlalchemy(session, _ACTIVE_MEMBER_ROWS, params)
    assert all(row[10].tzinfo is not None for row in rows)  # UTC times come back aware, as the type says


def test_member_rows_carry_what_the_orm_objects_do(session: Session, personas: Personas) -> None:
    orm = {m.public_id: m for m in active_members(session, personas.patient_id)}
    for row in active_member_rows(session, personas.patient_id):
        member = orm[row.public_id]
        assert (row.role, row.user_id, row.member_name, row.period_start) == (
            member.role, member.user_id, member.member_name, member.period_start)
        assert (row.user is None) == (member.user_id is None) and (row.team is None) == (member.team_id is None)


def test_caller_parameters_are_processed_as_sqlalchemy_would(session: Session, personas: Personas) -> None:
    patient = session.get(Patient, personas.patient_id)
    assert patient is not None
    soon = make_task(session, patient, title="soon", due_in=timedelta(hours=1))
    make_task(session, patient, title="later", due_in=timedelta(days=3))
    make_task(session, patient, title="closed", status=TaskStatus.completed)
    read = DriverRead(
        select(Task.public_id, Task.title, Task.status, Task.due_at)
        .where(Task.patient_id == bindparam("patient_id"), Task.due_at < bindparam("before"),
               Task.status.in_([TaskStatus.ready, TaskStatus.in_progress]))  # a constant IN list
        .order_by(Task.due_at).limit(5)
    )
    params = {"patient_id": patient.id, "before": utcnow() + timedelta(days=2)}
    rows = read.rows(session, params)
    assert [row[0] for row in rows] == [soon.public_id]
    assert rows[0][2] is TaskStatus.ready  # the enum, not its text
    assert rows == _through_sqlalchemy(session, read, params)


def test_no_rows_is_an_empty_list(session: Session) -> None:
    assert _ACTIVE_MEMBER_ROWS.rows(session, {"patient_id": -1}) == []


def test_an_in_list_parameter_sent_as_values_is_refused(session: Session) -> None:
    read = DriverRead(select(Task.id).where(Task.id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(ValueError, match="literal_execute"):
        read.rows(session, {"ids": [1, 2]})


def test_literal_parameters_are_written_into_the_sql_one_plan_per_set_of_values(session: Session,
                                                                                personas: Personas) -> None:
    patient = session.get(Patient, personas.patient_id)
    assert patient is not None
    ready = make_task(session, patient, title="ready")
    done = make_task(session, patient, title="done", status=TaskStatus.completed)
    read = DriverRead(select(Task.public_id).where(
        Task.patient_id == bindparam("patient_id"),
        Task.status.in_(bindparam("statuses", expanding=True, literal_execute=True))).order_by(Task.id))
    assert read.rows(session, {"patient_id": patient.id, "statuses": [TaskStatus.ready]}) == [(ready.public_id,)]
    assert read.rows(session, {"patient_id": patient.id, "statuses": [TaskStatus.completed]}) == [(done.public_id,)]
    assert read.rows(session, {"patient_id": patient.id, "statuses": [TaskStatus.ready]}) == [(ready.public_id,)]
    assert len(read._plans) == 2
    assert all("completed" in plan.sql or "ready" in plan.sql for plan in read._plans.values())


def test_a_database_error_is_raised_as_sqlalchemy_raises_it(session: Session) -> None:
    read = DriverRead(select(text("no_such_column")).select_from(Task.__table__))
    with pytest.raises(DBAPIError):
        read.rows(session, {})


def test_a_dropped_connection_is_invalidated(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no server to drop the connection")
    read = DriverRead(select(Task.id).limit(1))
    with db.session_factory()() as session:
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        admin = db.make_engine(db.engine().url.render_as_string(hide_password=False), pool_size=1, max_overflow=0)
        try:
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            admin.dispose()
        with pytest.raises(DBAPIError) as raised:
            read.rows(session, {})
        assert raised.value.connection_invalidated


def test_the_patient_card_carries_what_the_orm_patient_does(session: Session, personas: Personas) -> None:
    patient = session.get(Patient, personas.patient_id)
    assert patient is not None
    session.add(PatientIdentifier(patient_id=patient.id, system="urn:payer:medicare", value="1EG4TE5MK73",
                                  type_code="MB"))
    session.flush()
    orm = patients_repo.get_with_identifiers(session, patient.public_id)  # a UUID parameter: processed on SQLite
    card = patients_repo.card(session, patient.public_id)
    assert card.id == orm.id and card.display_name == orm.display_name
    for field in patients_repo.PatientCard._fields[:-1]:
        assert getattr(card, field) == getattr(orm, field), field
    assert [(i.system, i.value, i.type_code) for i in card.identifiers] == [
        (i.system, i.value, i.type_code) for i in sorted(orm.identifiers, key=lambda i: i.id)]
    assert len(card.identifiers) == 2


def test_an_unknown_patient_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        patients_repo.card(session, uuid4())


def test_a_read_sees_what_the_session_added_and_has_not_flushed(session: Session, personas: Personas) -> None:
    patient = session.get(Patient, personas.patient_id)
    assert patient is not None
    session.add(CareTeamMember(patient_id=patient.id, member_name="Neighbour", role=CareTeamRole.other,
                               period_start=utcnow()))
    assert "Neighbour" in [m.member_name for m in active_member_rows(session, patient.id)]
