"""Jobs registered with a batch size run several per transaction; a failing one makes the batch run again one by
one, so it fails alone and the others are done."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from careloop import db
from careloop.clock import utcnow
from careloop.models import AuditEvent, Job, JobStatus
from careloop.worker import emit, enqueue
from careloop.worker.registry import Registry
from careloop.worker.runner import Worker, relay_events


def record(session: Session, payload: Mapping[str, Any]) -> None:
    if payload.get("bad"):
        raise ValueError("this one is broken")
    session.add(AuditEvent(at=utcnow(), action="test.batch", outcome="allowed", detail=dict(payload)))


def registry(batch: int) -> Registry:
    r = Registry()
    r.job("test.batch", record, batch=batch)
    return r


def statuses() -> list[JobStatus]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(Job.status).order_by(Job.id)))


def test_a_batch_claims_and_finishes_several_jobs_at_once() -> None:
    with db.unit_of_work() as s:
        for n in range(7):
            enqueue(s, "test.batch", {"n": n})
    worker = Worker(registry(batch=5), worker_id="w")
    assert len(worker.claim_batch()) == 5  # the first due and four more of its kind
    assert statuses().count(JobStatus.running) == 5


def test_a_bad_job_fails_alone_and_the_rest_of_its_batch_is_done() -> None:
    with db.unit_of_work() as s:
        for n in range(4):
            enqueue(s, "test.batch", {"n": n, "bad": n == 2})
    Worker(registry(batch=10), worker_id="w").run_once()
    assert statuses() == [JobStatus.done, JobStatus.done, JobStatus.queued, JobStatus.done]  # retried later
    with db.unit_of_work() as s:
        done = s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "test.batch")).all()
        assert sorted(d["n"] for d in done if d) == [0, 1, 3]  # each once: the failed batch left nothing


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Registry().job("x", record, batch=0)


class Batches:
    """A batch handler that records each call's events and fails on any event marked bad."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    def __call__(self, session: Session, payloads: Sequence[Mapping[str, Any]]) -> None:
        self.calls.append([p["n"] for p in payloads])
        for payload in payloads:
            record(session, payload)


def _event_registry(batches: Batches, *, batch: int) -> Registry:
    r = Registry()
    r.job("test.batch", record, batch=batch, batch_handler=batches)
    r.job("test.single", record)
    r.subscribe("thing.happened", "test.batch")
    r.subscribe("thing.happened", "test.single")
    return r


def _emit(*flags: bool) -> None:
    with db.unit_of_work() as s:
        for n, bad in enumerate(flags):
            emit(s, "thing.happened", {"n": n, "bad": bad})


def _recorded() -> list[int]:
    with db.unit_of_work() as s:
        return sorted(d["n"] for d in s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "test.batch"))
                      if d)


def test_a_relay_gives_a_batch_handled_subscriber_its_events_in_jobs_of_its_batch_size() -> None:
    batches = Batches()
    registry = _event_registry(batches, batch=3)
    _emit(False, False, False, False, False)
    with db.unit_of_work() as s:
        assert relay_events(s, registry, utcnow()) == 5
    with db.unit_of_work() as s:
        jobs = s.scalars(select(Job).order_by(Job.id)).all()
        kinds = [j.kind for j in jobs]
        assert kinds.count("test.single") == 5  # a subscriber without a batch handler: one job per event
        grouped = [j for j in jobs if j.kind == "test.batch+events"]
        assert [[e["event_id"] for e in j.payload["events"]] for j in grouped] == [[1, 2, 3], [4, 5]]
        assert grouped[0].payload["events"][0] == {"n": 0, "bad": False, "event_id": 1, "event_type": "thing.happened"}
        assert [j.key for j in grouped] == ["events:1-3:test.batch", "events:4-5:test.batch"]
    Worker(registry, worker_id="w").drain()
    assert batches.calls == [[0, 1, 2], [3, 4]]  # in order, a batch per job
    assert _recorded() == sorted([0, 1, 2, 3, 4] * 2)  # each event once per subscriber
    assert set(statuses()) == {JobStatus.done}


def test_a_bad_event_splits_its_batch_and_then_fails_alone() -> None:
    batches = Batches()
    registry = _event_registry(batches, batch=10)
    _emit(False, True, False)
    worker = Worker(registry, worker_id="w")
    worker.drain()
    with db.unit_of_work() as s:
        jobs = {(j.kind, j.key): j.status for j in s.scalars(select(Job))}
    assert jobs[("test.batch+events", "events:1-3:test.batch")] == JobStatus.done  # split, not retried itself
    assert jobs[("test.batch", "event:1:test.batch")] == JobStatus.done
    assert jobs[("test.batch", "event:2:test.batch")] == JobStatus.queued  # failed alone, retried later
    assert jobs[("test.batch", "event:3:test.batch")] == JobStatus.done
    # The batch of three failed; the split jobs ran together (failed again), then one by one.
    assert batches.calls == [[0, 1, 2], [0, 1, 2]]
    with db.unit_of_work() as s:
        done = s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "test.batch")).all()
    assert sorted(d["n"] for d in done if d) == [0, 0, 2, 2]  # by test.batch (split) and test.single, once each


def _committed_statuses() -> list[JobStatus]:
    """What other connections see now: read without the write lock, outside the caller's transaction."""
    with db.unit_of_work(read_mostly=True) as s:
        return list(s.scalars(select(Job.status).order_by(Job.id)))


def test_a_batch_is_claimed_run_and_done_in_one_transaction() -> None:
    seen: list[list[JobStatus]] = []

    def look(session: Session, payloads: Sequence[Mapping[str, Any]]) -> None:
        seen.append(_committed_statuses())
        for payload in payloads:
            record(session, payload)

    r = Registry()
    r.job("test.batch", record, batch=5, batch_handler=look)
    with db.unit_of_work() as s:
        for n in range(3):
            enqueue(s, "test.batch", {"n": n})
    assert Worker(r, worker_id="w").run_next() == 3
    assert seen == [[JobStatus.queued] * 3]  # no claim of their own was committed before the handler ran
    assert statuses() == [JobStatus.done] * 3
    assert _recorded() == [0, 1, 2]


def test_a_single_job_is_claimed_on_a_committed_lease_before_it_runs() -> None:
    seen: list[list[JobStatus]] = []

    def look(session: Session, payload: Mapping[str, Any]) -> None:
        seen.append(_committed_statuses())

    r = Registry()
    r.job("test.long", look)
    with db.unit_of_work() as s:
        enqueue(s, "test.long", {})
    assert Worker(r, worker_id="w").run_next() == 1
    assert seen == [[JobStatus.running]]  # a long job's lease is visible to other workers while it runs
    assert statuses() == [JobStatus.done]


def test_a_worker_that_dies_mid_batch_leaves_its_jobs_due_at_once_with_no_attempt_spent() -> None:
    class Died(BaseException):
        """What a killed process looks like to the code in flight: nothing after it runs."""

    def die(session: Session, payloads: Sequence[Mapping[str, Any]]) -> None:
        for payload in payloads:
            record(session, payload)
        raise Died

    r = Registry()
    r.job("test.batch", record, batch=5, batch_handler=die)
    with db.unit_of_work() as s:
        for n in range(2):
            enqueue(s, "test.batch", {"n": n})
    with pytest.raises(Died):
        Worker(r, worker_id="w").run_next()
    with db.unit_of_work() as s:
        left = [(j.status, j.attempts, j.locked_by) for j in s.scalars(select(Job))]
    assert left == [(JobStatus.queued, 0, None)] * 2
    assert _recorded() == []
    assert Worker(registry(batch=5), worker_id="w2").run_next() == 2  # another worker takes them at once
    assert _recorded() == [0, 1]


def test_a_failed_batch_counts_an_attempt_for_a_dead_workers_job_in_it() -> None:
    """A job left running by a dead worker joins a batch when its lease expires; if the batch fails, it is taken
    again with the others and its attempt counts, so a job that always fails ends dead rather than loop."""
    with db.unit_of_work() as s:
        enqueue(s, "test.batch", {"n": 0, "bad": True})
        enqueue(s, "test.batch", {"n": 1})
        s.execute(update(Job).where(Job.id == 1).values(status=JobStatus.running, attempts=1, locked_by="dead",
                                                        locked_until=utcnow() - timedelta(minutes=1)))
    assert Worker(registry(batch=5), worker_id="w").run_next() == 2
    with db.unit_of_work() as s:
        rows = [(j.status, j.attempts, j.locked_by) for j in s.scalars(select(Job).order_by(Job.id))]
    assert rows == [(JobStatus.queued, 2, None), (JobStatus.done, 1, None)]
    assert _recorded() == [1]
