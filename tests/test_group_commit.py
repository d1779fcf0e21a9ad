"""The group committer: the audit rows of reads in flight are stored together, and each read returns only
once its own rows are committed (careloop.group_commit)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Table, func, select

from careloop import audit, db
from careloop.clock import utcnow
from careloop.group_commit import COPY_FROM_ROWS, Append, AppendsNotStored, GroupCommitter
from careloop.models import AuditEvent, Patient
from careloop.models.audit import AuditOutcome
from tests.conftest import BearerFor
from tests.factories import Personas

AUDIT = cast(Table, AuditEvent.__table__)


def _row(action: str | None) -> dict[str, Any]:
    return {"at": utcnow(), "actor_id": None, "actor_username": "test", "action": action,
            "outcome": AuditOutcome.allowed, "source_ip": None, "channel": "test", "patient_id": None,
            "entity_type": None, "entity_id": None, "detail": None}


def _count(action_prefix: str) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action.like(f"{action_prefix}%"))) or 0


class _HeldWriter(GroupCommitter):
    """A committer whose first commit waits until released, so the requests behind it queue up; it counts its
    transactions."""

    def __init__(self) -> None:
        super().__init__(db.engine())
        self.release = threading.Event()
        self.first_commit_started = threading.Event()
        self.commits = 0

    def _commit(self, appends: Sequence[Append]) -> None:
        self.commits += 1
        if self.commits == 1:
            self.first_commit_started.set()
            assert self.release.wait(timeout=30)
        super()._commit(appends)


def _store_in_threads(committer: GroupCommitter, batches: dict[str, Append]) -> dict[str, BaseException | None]:
    outcome: dict[str, BaseException | None] = {}

    def store(name: str, append: Append) -> None:
        try:
            committer.store([append])
            outcome[name] = None
        except AppendsNotStored as error:
            outcome[name] = error

    threads = [threading.Thread(target=store, args=item) for item in batches.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcome


def _queue_behind_a_held_commit(committer: _HeldWriter, batches: dict[str, Append]
                                ) -> dict[str, BaseException | None]:
    first = threading.Thread(target=committer.store, args=([Append(AUDIT, [_row("gc.first")])],))
    first.start()
    assert committer.first_commit_started.wait(timeout=30)
    result: dict[str, BaseException | None] = {}
    runner = threading.Thread(target=lambda: result.update(_store_in_threads(committer, batches)))
    runner.start()
    # Release the first commit once every other request is queued behind it.
    deadline = time.monotonic() + 30
    while committer.queued() < len(batches) and time.monotonic() < deadline:
        time.sleep(0.01)
    committer.release.set()
    runner.join(timeout=60)
    first.join(timeout=30)
    committer.close()
    return result


def test_the_rows_of_reads_that_arrive_together_are_committed_together() -> None:
    committer = _HeldWriter()
    batches = {f"r{i}": Append(AUDIT, [_row(f"gc.read.{i}"), _row(f"gc.read.{i}")]) for i in range(20)}
    outcome = _queue_behind_a_held_commit(committer, batches)
    assert outcome == {name: None for name in batches}
    assert _count("gc.read.") == 40
    assert committer.commits == 2  # the held one, then all twenty requests' rows in one transaction


def test_a_bad_row_fails_only_the_request_it_came_from() -> None:
    committer = _HeldWriter()
    batches = {"good-1": Append(AUDIT, [_row("gc.good.1")]), "bad": Append(AUDIT, [_row(None)]),
               "good-2": Append(AUDIT, [_row("gc.good.2")])}
    outcome = _queue_behind_a_held_commit(committer, batches)
    assert outcome["good-1"] is None and outcome["good-2"] is None
    assert isinstance(outcome["bad"], AppendsNotStored)
    assert "Could not store 1 row(s)" in str(outcome["bad"])
    assert _count("gc.good.") == 2


def test_a_read_whose_audit_rows_cannot_be_stored_fails(personas: Personas) -> None:
    """A GET whose audit cannot be committed must not answer: unit_of_work raises, so no data leaves."""
    with pytest.raises(AppendsNotStored), db.unit_of_work(read_mostly=True) as s:
        db.append_rows(s, AUDIT, [_row(None)])
    with db.unit_of_work(read_mostly=True) as s:
        audit.record_list(s, personas.actor(s, personas.coordinator_id), "gc.after", [personas.patient_id])
    assert _count("gc.after") == 1


def test_a_read_mostly_unit_that_writes_more_than_appends_stores_them_in_its_own_transaction(
        personas: Personas) -> None:
    """The token's last use (a write phase action) beside audit rows: the classic write phase takes both."""
    touched: list[bool] = []

    def touch(session: Any) -> None:
        touched.append(True)

    with db.unit_of_work(read_mostly=True) as s:
        audit.record_list(s, personas.actor(s, personas.coordinator_id), "gc.mixed", [personas.patient_id])
        db.write_phase(s, touch)
    assert touched == [True]
    assert _count("gc.mixed") == 1


def test_closing_stores_what_is_queued() -> None:
    committer = GroupCommitter(db.engine())
    committer.store([Append(AUDIT, [_row("gc.close")])])
    committer.close()
    assert _count("gc.close") == 1
    with pytest.raises(AppendsNotStored, match="reconfigured"):
        committer.store([Append(AUDIT, [_row("gc.closed")])])


def test_a_page_whose_audit_rows_cannot_be_stored_is_not_sent(personas: Personas, bearer_for: BearerFor,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The patient record waits for its audit rows on the event loop (http.deps.as_api_actor); if they cannot be
    committed, the client gets an error, not the record."""
    headers = bearer_for(personas.coordinator_id)
    with db.unit_of_work() as s:
        patient = s.get(Patient, personas.patient_id)
        assert patient is not None
        path = f"/api/v1/patients/{patient.public_id}"
    from careloop.app import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as client:
        assert client.get(path, headers=headers).status_code == 200  # the token's first use, its own write phase

        def refuse(self: GroupCommitter, appends: Sequence[Append]) -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr(GroupCommitter, "_commit", refuse)
        refused = client.get(path, headers=headers)
    assert refused.status_code == 500
    assert patient.family not in refused.text


def test_rows_that_name_different_columns_are_stored_together() -> None:
    """A list's rows name no entity; a record's row does: both in one batch (an executemany per shape)."""
    committer = _HeldWriter()
    entity_row = {**_row("gc.shape.record"), "entity_type": "task", "entity_id": "t1"}
    list_row = {k: v for k, v in _row("gc.shape.list").items() if k not in ("entity_id", "detail")}
    outcome = _queue_behind_a_held_commit(committer, {"record": Append(AUDIT, [entity_row]),
                                                      "list": Append(AUDIT, [list_row, list_row])})
    assert outcome == {"record": None, "list": None}
    assert _count("gc.shape.") == 3
    assert committer.commits == 2


def test_rows_come_back_as_a_core_insert_would_have_stored_them() -> None:
    """On PostgreSQL the committer writes a batch of COPY_FROM_ROWS or more with COPY (careloop.bulk_rows):
    enums, JSON, a JSON null, missing columns and UTC times must read back exactly as the same rows inserted by
    a Core INSERT."""
    at = utcnow()
    rows = [{**_row("copy.check"), "at": at, "outcome": AuditOutcome.denied, "detail": {"why": "not on team", "n": 2},
             "entity_id": "é-ü 'quoted' \\ tab\there"},
            {**_row("copy.check"), "at": at, "detail": None, "patient_id": 7}] * (COPY_FROM_ROWS // 2)
    committer = GroupCommitter(db.engine())
    try:
        committer.store([Append(AUDIT, [dict(r) for r in rows])])
    finally:
        committer.close()
    with db.engine().begin() as conn:
        conn.execute(AUDIT.insert(), [{**r, "action": "insert.check"} for r in rows])
    # detail IS NULL tells SQL's NULL from JSON's null, which read back alike.
    columns = [*(c for c in AUDIT.c if c.name not in ("id", "action")), AUDIT.c.detail.is_(None).label("sql_null")]
    with db.unit_of_work() as s:
        copied = s.execute(select(*columns).where(AuditEvent.action == "copy.check").order_by(AuditEvent.id)).all()
        inserted = s.execute(select(*columns).where(AuditEvent.action == "insert.check")
                             .order_by(AuditEvent.id)).all()
    assert copied == inserted
    assert copied[0].detail == {"why": "not on team", "n": 2} and copied[0].at == at
