"""On SQLite the worker plans a relay's batch of pathway events in a snapshot, without the writer turn, and writes the
plan under the turn only if no other write transaction committed since the snapshot (worker/plans.py). A plan that
no longer holds, or work that cannot be planned, runs under the turn as before: each event's work is done once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any, cast

import pytest
from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.orm import Session

from careloop import db
from careloop.clock import utcnow
from careloop.group_commit import Append
from careloop.jobs_registry import build_registry
from careloop.models import AuditEvent, Job, JobStatus, PathwayEvent, Task, WriteEpoch
from careloop.worker import emit
from careloop.worker.plans import write_epoch
from careloop.worker.registry import Registry
from careloop.worker.runner import Worker
from tests.factories import Personas
from tests.transitions.helpers import event, make_stay

DISCHARGED = {"occurred": "2026-11-20T15:00:00Z", "discharged": "2026-11-20T15:00:00Z", "disposition": "home"}


@pytest.fixture(autouse=True)
def _sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL has no single writer to keep short: the worker does not plan there")


def _discharges(personas: Personas, *keys: str) -> None:
    """Discharge events of the patient's stay through the outbox, relayed into one batch job."""
    stay = make_stay(personas.patient_id, "2026-11-17T09:00:00Z", "2026-11-20T15:00:00Z")
    with db.unit_of_work() as s:
        for key in keys:
            e = event("discharged", key, personas.patient_id, stay, **DISCHARGED)
            emit(s, e["type"], e["payload"])


def _tasks(patient_id: int) -> int:
    with db.unit_of_work() as s:
        return int(s.scalar(select(func.count()).select_from(Task).where(Task.patient_id == patient_id)) or 0)


def _epoch() -> int:
    with db.unit_of_work(read_mostly=True) as s:
        return write_epoch(s)


class Between:
    """Runs `meanwhile` after the worker has planned its next batch and before it writes it."""

    def __init__(self, worker: Worker, meanwhile: Any) -> None:
        self.planned = worker._plan_next
        self.meanwhile = meanwhile
        worker._plan_next = self  # type: ignore[method-assign]

    def __call__(self) -> Any:
        plan = self.planned()
        if plan is not None:
            self.meanwhile()
        return plan


def test_a_batch_of_pathway_events_is_planned_and_written(personas: Personas) -> None:
    _discharges(personas, "adt:1:A03")
    worker = Worker(build_registry(), worker_id="w")
    worker.drain()
    assert worker.plan_counts == {"written": 1}
    assert _tasks(personas.patient_id) == 3


def test_a_write_meanwhile_voids_the_plan_and_the_batch_runs_under_the_turn(personas: Personas) -> None:
    _discharges(personas, "adt:1:A03")
    worker = Worker(build_registry(), worker_id="w")
    worker.relay_events()

    def a_coordinator_writes() -> None:
        with db.unit_of_work() as s:
            s.execute(insert(AuditEvent), [{"at": utcnow(), "action": "test.meanwhile", "outcome": "allowed"}])

    Between(worker, a_coordinator_writes)
    worker.drain()
    assert worker.plan_counts == {"stale": 1}
    assert _tasks(personas.patient_id) == 3


def test_another_worker_that_did_the_batch_meanwhile_leaves_nothing_to_do_twice(personas: Personas) -> None:
    """The other worker's transaction voids this worker's plan; the job is then done, so nothing runs again."""
    _discharges(personas, "adt:1:A03", "adt:2:A03")
    worker = Worker(build_registry(), worker_id="w")
    worker.relay_events()
    other = Worker(build_registry(), worker_id="other")
    Between(worker, other.run_next)
    assert worker.run_next() == 0
    assert worker.plan_counts == {"stale": 1} and other.plan_counts == {"written": 1}
    assert _tasks(personas.patient_id) == 6
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(PathwayEvent)) == 2


def test_the_listeners_stores_meanwhile_leave_the_plan_standing(personas: Personas) -> None:
    """Received messages and their apply job are appends that nothing planned reads: not counted, not voiding."""
    _discharges(personas, "adt:1:A03")
    worker = Worker(build_registry(), worker_id="w")
    worker.relay_events()

    def the_listener_stores() -> None:
        with db.unit_of_work(appends_only=True) as s:
            s.execute(insert(AuditEvent), [{"at": utcnow(), "action": "test.appended", "outcome": "allowed"}])

    Between(worker, the_listener_stores)
    assert worker.run_next() == 1
    assert worker.plan_counts == {"written": 1}
    assert _tasks(personas.patient_id) == 3


def test_a_cancel_in_the_batch_is_not_planned_and_runs_under_the_turn(personas: Personas) -> None:
    stay = make_stay(personas.patient_id, "2026-11-17T09:00:00Z", "2026-11-20T15:00:00Z")
    with db.unit_of_work() as s:
        for e in (event("discharged", "adt:1:A03", personas.patient_id, stay, **DISCHARGED),
                  event("event_cancelled", "adt:1:A13", personas.patient_id, stay, cancels="adt:1:A03")):
            emit(s, e["type"], e["payload"])
    worker = Worker(build_registry(), worker_id="w")
    worker.drain()
    assert worker.plan_counts == {"not planned": 1}
    with db.unit_of_work() as s:
        assert set(s.scalars(select(Task.status).where(Task.patient_id == personas.patient_id))) == {"cancelled"}


def test_an_event_seen_before_is_not_planned(personas: Personas) -> None:
    _discharges(personas, "adt:1:A03")
    Worker(build_registry(), worker_id="first").drain()
    _discharges(personas, "adt:1:A03")  # the hospital sent it again
    worker = Worker(build_registry(), worker_id="w")
    worker.drain()
    assert worker.plan_counts == {"not planned": 1}
    assert _tasks(personas.patient_id) == 3


def _writes_as_it_goes(session: Session, payloads: Sequence[Mapping[str, Any]]) -> None:
    session.execute(insert(AuditEvent), [{"at": utcnow(), "action": "test.as_it_goes", "outcome": "allowed",
                                          "detail": dict(p)} for p in payloads])


def test_a_handler_that_writes_as_it_goes_is_refused_in_the_snapshot_and_runs_under_the_turn() -> None:
    """The planning connection refuses every write (PRAGMA query_only): a write out of turn cannot happen, nor be
    lost with the planning transaction's rollback."""
    registry = Registry()
    registry.job("test.events", lambda s, p: _writes_as_it_goes(s, [p]), batch=10,
                 batch_handler=_writes_as_it_goes, plans=True)
    registry.subscribe("thing.happened", "test.events")
    with db.unit_of_work() as s:
        for n in range(3):
            emit(s, "thing.happened", {"n": n})
    worker = Worker(registry, worker_id="w")
    worker.drain()
    assert worker.plan_counts == {"not planned": 1}
    with db.unit_of_work() as s:
        written = s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "test.as_it_goes")).all()
        assert sorted(d["n"] for d in written if d) == [0, 1, 2]
        assert set(s.scalars(select(Job.status))) == {JobStatus.done}


def test_only_a_batch_handler_plans() -> None:
    with pytest.raises(ValueError, match="only a batch handler plans"):
        Registry().job("x", lambda s, p: None, plans=True)


def test_write_transactions_are_counted_and_appends_are_not() -> None:
    before = _epoch()
    with db.unit_of_work() as s:
        s.execute(insert(AuditEvent), [{"at": utcnow(), "action": "test.counted", "outcome": "allowed"}])
    assert _epoch() == before + 1
    with db.unit_of_work(appends_only=True) as s:
        s.execute(insert(AuditEvent), [{"at": utcnow(), "action": "test.appended", "outcome": "allowed"}])
    db.group_committer().store([Append(cast(Table, AuditEvent.__table__), [
        {"at": utcnow(), "action": "test.grouped", "outcome": "allowed"}])])
    assert _epoch() == before + 1


def test_the_count_starts_again_when_its_row_is_deleted() -> None:
    with db.unit_of_work() as s:
        s.execute(delete(WriteEpoch))
    with db.unit_of_work() as s:
        assert write_epoch(s) == 1  # this transaction, counted by the upsert


def test_the_worker_tells_what_became_of_its_plans_when_it_stops(
        personas: Personas, caplog: pytest.LogCaptureFixture) -> None:
    _discharges(personas, "adt:1:A03")
    worker = Worker(build_registry(), worker_id="w")
    worker.drain()
    stop = threading.Event()
    stop.set()
    with caplog.at_level(logging.INFO, logger="careloop.worker"):
        worker.run_forever(stop)
    assert "batches planned in a snapshot: 1 written, 0 stale, 0 not planned" in caplog.text
