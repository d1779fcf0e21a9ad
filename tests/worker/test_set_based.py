"""The worker's set-based statements (one INSERT for a relay's jobs, one UPDATE for a batch's claims and one for
its done marks) keep the one-row-at-a-time semantics: idempotent keys, leases, order, attempts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from careloop import db
from careloop.clock import utcnow
from careloop.models import AuditEvent, Job, JobStatus, OutboxEvent
from careloop.worker import emit, enqueue
from careloop.worker.registry import Registry
from careloop.worker.runner import Worker, claim_jobs_of_kind, mark_all_done, relay_events

LEASE = timedelta(minutes=5)


def _jobs() -> list[Job]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(Job).order_by(Job.id)))


def _subscribed(*kinds: str) -> Registry:
    registry = Registry()
    for kind in kinds:
        registry.job(kind, lambda session, payload: None)
        registry.subscribe("thing.happened", kind)
    return registry


def test_a_relay_queues_each_subscriber_once_in_event_order_even_when_run_again() -> None:
    registry = _subscribed("a.job", "b.job")
    with db.unit_of_work() as s:
        for n in range(3):
            emit(s, "thing.happened", {"n": n})
        emit(s, "nobody.listens", {})
    with db.unit_of_work() as s:
        assert relay_events(s, registry, utcnow()) == 4
    with db.unit_of_work() as s:  # as if a relay had committed its jobs but the events were seen again
        s.execute(update(OutboxEvent).values(relayed_at=None))
    with db.unit_of_work() as s:
        assert relay_events(s, registry, utcnow()) == 4
        assert relay_events(s, registry, utcnow()) == 0
    jobs = _jobs()
    assert [(j.kind, j.payload["n"]) for j in jobs] == [(k, n) for n in range(3) for k in ("a.job", "b.job")]
    assert [j.key for j in jobs][:2] == ["event:1:a.job", "event:1:b.job"]
    assert {(j.status, j.attempts, j.max_attempts) for j in jobs} == {(JobStatus.queued, 0, 8)}
    assert jobs[0].payload == {"n": 0, "event_id": 1, "event_type": "thing.happened"}
    with db.unit_of_work() as s:
        assert all(e.relayed_at is not None for e in s.scalars(select(OutboxEvent)))


def test_a_batch_claim_takes_due_jobs_of_its_kind_in_order_with_a_lease() -> None:
    with db.unit_of_work() as s:
        for n in range(4):
            enqueue(s, "batch.kind", {"n": n}, max_attempts=3)
        enqueue(s, "other.kind", {})
        enqueue(s, "batch.kind", {"n": 9}, run_at=utcnow() + timedelta(hours=1))  # not due
        s.flush()
        s.execute(update(Job).where(Job.payload["n"].as_integer() == 3).values(attempts=3))  # out of attempts
    now = utcnow()
    with db.unit_of_work() as s:
        claimed = claim_jobs_of_kind(s, "w", now, LEASE, "batch.kind", 10)
    assert [(c.payload["n"], c.attempt, c.max_attempts) for c in claimed] == [(0, 1, 3), (1, 1, 3), (2, 1, 3)]
    rows = {j.id: j for j in _jobs()}
    for c in claimed:
        job = rows[c.id]
        assert (job.status, job.attempts, job.locked_by) == (JobStatus.running, 1, "w")
        assert job.locked_until == now + LEASE
    with db.unit_of_work() as s:  # held now: a second claim finds none of them
        assert claim_jobs_of_kind(s, "w2", utcnow(), LEASE, "batch.kind", 10) == []


def test_done_marks_only_the_jobs_whose_lease_this_worker_still_holds() -> None:
    with db.unit_of_work() as s:
        for n in range(3):
            enqueue(s, "batch.kind", {"n": n})
    with db.unit_of_work() as s:
        ids = [c.id for c in claim_jobs_of_kind(s, "w1", utcnow(), LEASE, "batch.kind", 10)]
    with db.unit_of_work() as s:  # w1's lease on the second ran out and w2 took it over
        s.execute(update(Job).where(Job.id == ids[1]).values(locked_by="w2"))
    with db.unit_of_work() as s:
        assert mark_all_done(s, ids, "w1", utcnow()) == {ids[0], ids[2]}
    jobs = {j.id: j for j in _jobs()}
    assert [jobs[i].status for i in ids] == [JobStatus.done, JobStatus.running, JobStatus.done]
    assert (jobs[ids[1]].locked_by, jobs[ids[0]].locked_by, jobs[ids[0]].locked_until) == ("w2", None, None)
    assert jobs[ids[0]].finished_at is not None and jobs[ids[1]].finished_at is None


def test_a_batch_that_outlived_its_lease_says_so(caplog: pytest.LogCaptureFixture) -> None:
    def lose_the_lease(session: Session, payload: Mapping[str, Any]) -> None:
        if payload["n"] == 1:  # meanwhile, another worker took this one over
            session.execute(update(Job).where(Job.payload["n"].as_integer() == 1).values(locked_by="other"))

    registry = Registry()
    registry.job("batch.kind", lose_the_lease, batch=10)
    with db.unit_of_work() as s:
        for n in range(3):
            enqueue(s, "batch.kind", {"n": n})
    with caplog.at_level(logging.WARNING, logger="careloop.worker"):
        Worker(registry, worker_id="w1").run_once()
    assert [j.status for j in _jobs()] == [JobStatus.done, JobStatus.running, JobStatus.done]
    assert any("outlived its lease" in r.getMessage() for r in caplog.records)


def test_several_workers_run_each_batched_job_exactly_once() -> None:
    lock, runs = threading.Lock(), []

    def record(session: Session, payload: Mapping[str, Any]) -> None:
        with lock:
            runs.append(payload["n"])
        session.add(AuditEvent(at=utcnow(), action="test.batched", outcome="allowed", detail=dict(payload)))

    registry = Registry()
    registry.job("batch.kind", record, batch=7)
    with db.unit_of_work() as s:
        for n in range(50):
            enqueue(s, "batch.kind", {"n": n})
    workers = [Worker(registry, worker_id=f"w{i}") for i in range(3)]
    threads = [threading.Thread(target=w.drain) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(runs) == list(range(50))
    assert {job.status for job in _jobs()} == {JobStatus.done}
