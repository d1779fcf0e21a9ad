"""The unit of work's two shapes: writing (the lock up front on SQLite) and read-mostly (a GET: reads without
SQLite's write lock; its audit rows are stored at the end, by the group committer or, when it writes more than
audit rows, in its own write phase, and always before it returns)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from careloop import audit, db
from careloop.group_commit import Append, GroupCommitter, Ticket
from careloop.models import AuditEvent, Patient, User
from tests.conftest import BearerFor
from tests.factories import Personas, make_task


def _audit_rows(action: str) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)) or 0


def test_read_mostly_writes_its_audit_rows_at_the_end(personas: Personas) -> None:
    with db.unit_of_work(read_mostly=True) as s:
        actor = personas.actor(s, personas.coordinator_id)
        audit.record_list(s, actor, "test.list", [personas.patient_id, personas.other_patient_id])
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "test.list")) == 0
    assert _audit_rows("test.list") == 2


def test_read_mostly_that_raises_writes_nothing(personas: Personas) -> None:
    with pytest.raises(RuntimeError), db.unit_of_work(read_mostly=True) as s:
        actor = personas.actor(s, personas.coordinator_id)
        audit.record_list(s, actor, "test.failed-list", [personas.patient_id])
        raise RuntimeError("the endpoint failed after reading")
    assert _audit_rows("test.failed-list") == 0


def test_a_writer_need_not_wait_for_a_reader(personas: Personas) -> None:
    """While a GET reads, another request commits a change; the GET then still audits and commits (on SQLite
    its snapshot is stale by then, and upgrading it in place would fail with 'database is locked')."""
    writer_done = threading.Event()

    def write_elsewhere() -> None:
        with db.unit_of_work() as w:
            patient = w.get(Patient, personas.patient_id)
            assert patient is not None
            patient.contact_notes = "changed while someone was reading"
        writer_done.set()

    with db.unit_of_work(read_mostly=True) as s:
        actor = personas.actor(s, personas.coordinator_id)
        assert s.scalar(select(Patient.contact_notes).where(Patient.id == personas.patient_id)) is None
        thread = threading.Thread(target=write_elsewhere)
        thread.start()
        assert writer_done.wait(timeout=20), "the writer waited for a reader's lock"
        thread.join()
        audit.record_list(s, actor, "test.stale-read", [personas.patient_id])
    assert _audit_rows("test.stale-read") == 1


def test_a_read_mostly_unit_that_writes_early_takes_the_lock_then(personas: Personas,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A GET that must write before its end (a Bulk Data kick-off) writes in a fresh write transaction, even
    after another request committed since its reads began, and its audit rows join that transaction (not the
    group committer's)."""

    def not_here(self: GroupCommitter, appends: Sequence[Append]) -> Ticket:
        raise AssertionError("the audit rows of a change belong in the change's own transaction")

    monkeypatch.setattr(GroupCommitter, "submit", not_here)
    with db.unit_of_work(read_mostly=True) as s:
        actor = personas.actor(s, personas.coordinator_id)
        assert s.scalar(select(Patient.contact_notes).where(Patient.id == personas.patient_id)) is None
        with db.unit_of_work() as other:
            other.execute(text("UPDATE patients SET given = 'Renamed' WHERE id = :id"), {"id": personas.patient_id})
        s.execute(text("UPDATE patients SET contact_notes = 'x' WHERE id = :id"), {"id": personas.patient_id})
        audit.record_list(s, actor, "test.early-write", [personas.patient_id])
    with db.unit_of_work() as s:
        row = s.execute(select(Patient.given, Patient.contact_notes).where(Patient.id == personas.patient_id)).one()
    assert tuple(row) == ("Renamed", "x")
    assert _audit_rows("test.early-write") == 1


def _spied_app(happened: list[str], monkeypatch: pytest.MonkeyPatch) -> ASGIApp:
    """The app, noting "commit" at each Session.commit, "appends stored" when the group committer has stored a
    read's audit rows, and "response" when a response starts."""
    from careloop.app import create_app

    app = create_app()

    async def spying(scope: Scope, receive: Receive, send: Send) -> None:
        async def spy(message: Message) -> None:
            if message["type"] == "http.response.start":
                happened.append("response")
            await send(message)
        await app(scope, receive, spy)

    commit = Session.commit

    def recorded_commit(self: Session) -> None:
        happened.append("commit")
        commit(self)

    finish = Ticket.finish

    def recorded_finish(self: Ticket, error: BaseException | None = None) -> None:
        happened.append("appends stored")
        finish(self, error)

    monkeypatch.setattr(Session, "commit", recorded_commit)
    monkeypatch.setattr(Ticket, "finish", recorded_finish)
    return spying


def _patient_public_id(personas: Personas) -> str:
    with db.unit_of_work() as s:
        patient = s.get(Patient, personas.patient_id)
        assert patient is not None
        return str(patient.public_id)


def test_a_request_commits_before_its_response_is_sent(personas: Personas, bearer_for: BearerFor,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A client told '201 Created' must find the change saved: the commit comes before the response starts
    (a commit after it could fail unseen, and a redirected browser could read the page before the change)."""
    headers = bearer_for(personas.coordinator_id)
    patient_id = _patient_public_id(personas)
    happened: list[str] = []
    with TestClient(_spied_app(happened, monkeypatch)) as client:
        created = client.post(f"/api/v1/patients/{patient_id}/tasks", headers=headers, json={
            "type": "outreach", "title": "Call about the new inhaler", "owner": {"role": "pharmacist"}})
    assert created.status_code == 201, created.text
    assert happened.index("commit") < happened.index("response")


def test_a_read_mostly_unit_writes_the_same_audit_row_as_a_writing_one(personas: Personas) -> None:
    """A GET's allowed row goes in as one Core INSERT at the end, not through the ORM: the stored row is the
    same (the raw `detail` too: JSON null either way)."""
    for action, read_mostly in (("test.written", False), ("test.read", True)):
        with db.unit_of_work(read_mostly=read_mostly) as s:
            actor = personas.actor(s, personas.coordinator_id)
            audit.record(s, actor, action, patient_id=personas.patient_id, entity_type="patient", entity_id="p1")
    with db.unit_of_work() as s:
        rows = s.execute(text("SELECT action, actor_id, actor_username, outcome, patient_id, entity_type, entity_id,"
                              " source_ip, channel, CAST(detail AS TEXT) FROM audit_events"
                              " WHERE action IN ('test.written', 'test.read') ORDER BY id")).all()
    assert len(rows) == 2
    assert rows[0][1:] == rows[1][1:]


@pytest.mark.parametrize("path", ["/api/v1/worklist", "/api/v1/patients/{patient_id}"])
def test_the_hot_reads_commit_their_audit_rows_before_the_response(path: str, personas: Personas,
                                                                   bearer_for: BearerFor,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The worklist and the patient record run their unit of work on one thread hop (http.deps.as_api_actor),
    and their audit rows go to the group committer: they are still committed before the data leaves."""
    headers = bearer_for(personas.coordinator_id)
    path = path.format(patient_id=_patient_public_id(personas))
    with db.unit_of_work() as s:  # a task, so the worklist shows a patient (and audits it)
        patient, coordinator = s.get(Patient, personas.patient_id), s.get(User, personas.coordinator_id)
        assert patient is not None and coordinator is not None
        make_task(s, patient, owner=coordinator)
    happened: list[str] = []
    with TestClient(_spied_app(happened, monkeypatch)) as client:
        # The token's first use is recorded on it: that read writes more than audit rows, so its rows go in
        # its own write phase, committed with it.
        assert client.get(path, headers=headers).status_code == 200
        assert happened == ["commit", "response"]
        happened.clear()
        assert client.get(path, headers=headers).status_code == 200
    assert happened == ["commit", "appends stored", "response"]


def _transaction_open(session: Session) -> bool:
    """Whether the session's PostgreSQL connection is inside a transaction block now (psycopg's view)."""
    from psycopg.pq import TransactionStatus

    driver = session.connection().connection.driver_connection
    assert driver is not None
    return bool(driver.info.transaction_status != TransactionStatus.IDLE)


def test_a_read_mostly_unit_reads_outside_a_transaction_on_postgresql(backend: str, personas: Personas) -> None:
    """PostgreSQL: a GET's reads run in autocommit mode (no BEGIN and COMMIT around them, db.
    _read_phase_without_transaction); its first write opens a transaction that lasts to the end."""
    if backend != "postgresql":
        pytest.skip("SQLite's read phase is a deferred transaction (see the tests above)")
    with pytest.raises(RuntimeError), db.unit_of_work(read_mostly=True) as s:
        assert s.scalar(select(Patient.given).where(Patient.id == personas.patient_id)) == "Ana"
        assert not _transaction_open(s)
        s.execute(text("UPDATE patients SET given = 'First' WHERE id = :id"), {"id": personas.patient_id})
        assert _transaction_open(s)
        s.execute(text("UPDATE patients SET family = 'Second' WHERE id = :id"), {"id": personas.patient_id})
        raise RuntimeError("the endpoint failed after writing")
    with db.unit_of_work() as s:
        row = s.execute(select(Patient.given, Patient.family).where(Patient.id == personas.patient_id)).one()
        assert tuple(row) == ("Ana", "Rivera")  # both writes rolled back together
        assert _transaction_open(s)  # the pooled connection is back to transactions for the next unit


def test_a_savepoint_in_a_read_mostly_unit_opens_its_transaction(backend: str, personas: Personas) -> None:
    """A GET may run a use case in a savepoint (web.forms.attempt). The savepoint ends the read phase (on
    PostgreSQL autocommit mode, on SQLite the deferred transaction, for one holding the write lock), so a
    write inside it neither fails nor loses the savepoint, and rolling back to it undoes only what came after
    it."""
    with db.unit_of_work(read_mostly=True) as s:
        assert s.scalar(select(Patient.given).where(Patient.id == personas.patient_id)) == "Ana"
        with pytest.raises(RuntimeError), s.begin_nested():
            s.execute(text("UPDATE patients SET given = 'Undone' WHERE id = :id"), {"id": personas.patient_id})
            raise RuntimeError("the use case refused")
        if backend == "postgresql":
            assert _transaction_open(s)
        s.execute(text("UPDATE patients SET family = 'Kept' WHERE id = :id"), {"id": personas.patient_id})
    with db.unit_of_work() as s:
        row = s.execute(select(Patient.given, Patient.family).where(Patient.id == personas.patient_id)).one()
    assert tuple(row) == ("Ana", "Kept")
