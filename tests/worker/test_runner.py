"""The worker: relays events, runs jobs once each even with several workers, retries with backoff,
buries jobs out of attempts, and takes over the jobs of a worker that died."""

from __future__ import annotations

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
from careloop.worker.runner import Worker, claim_job, retry_delay


class Recorder:
    """A handler that remembers the payloads it ran, and writes a row so its effect is visible."""

    def __init__(self, fail_times: int = 0) -> None:
        self.runs: list[dict[str, Any]] = []
        self.fail_times = fail_times
        self.lock = threading.Lock()

    def __call__(self, session: Session, payload: Mapping[str, Any]) -> None:
        with self.lock:
            self.runs.append(dict(payload))
            failing = len(self.runs) <= self.fail_times
        session.add(AuditEvent(at=utcnow(), action="test.job", outcome="allowed", detail=dict(payload)))
        if failing:
            raise RuntimeError("downstream is down")


def registry_with(handler: Recorder, kind: str = "test.job") -> Registry:
    registry = Registry()
    registry.job(kind, handler)
    return registry


def job_rows() -> list[Job]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(Job).order_by(Job.id)))


def effects() -> int:
    with db.unit_of_work() as s:
        return len(s.scalars(select(AuditEvent).where(AuditEvent.action == "test.job")).all())


def test_a_job_runs_and_is_marked_done_with_its_effect() -> None:
    handler = Recorder()
    with db.unit_of_work() as s:
        enqueue(s, "test.job", {"n": 1})
    assert Worker(registry_with(handler), worker_id="w1").drain() >= 1
    assert handler.runs == [{"n": 1}]
    [job] = job_rows()
    assert (job.status, job.attempts, job.locked_by, job.finished_at is not None) == (JobStatus.done, 1, None, True)
    assert effects() == 1


def test_a_failing_job_rolls_back_its_effect_and_retries_later_with_backoff() -> None:
    handler = Recorder(fail_times=1)
    with db.unit_of_work() as s:
        enqueue(s, "test.job", {"n": 1})
    worker = Worker(registry_with(handler), worker_id="w1")
    before = utcnow()
    worker.drain()
    [job] = job_rows()
    assert job.status is JobStatus.queued and job.attempts == 1
    assert "downstream is down" in (job.last_error or "")
    assert before + timedelta(seconds=10) <= job.run_at <= utcnow() + timedelta(seconds=11)
    assert effects() == 0  # the failed attempt's writes were rolled back
    _make_due(job.id)
    worker.drain()
    [job] = job_rows()
    assert (job.status, job.attempts, job.last_error) == (JobStatus.done, 2, None)
    assert effects() == 1


def test_backoff_doubles_and_is_capped() -> None:
    assert timedelta(seconds=10) <= retry_delay(1) <= timedelta(seconds=11)
    assert timedelta(seconds=40) <= retry_delay(3) <= timedelta(seconds=44)
    assert retry_delay(30) <= timedelta(seconds=3960)


def test_a_job_out_of_attempts_is_dead_with_its_last_error() -> None:
    handler = Recorder(fail_times=99)
    with db.unit_of_work() as s:
        enqueue(s, "test.job", {}, max_attempts=2)
    worker = Worker(registry_with(handler), worker_id="w1")
    for _ in range(2):
        worker.drain()
        _make_due(job_rows()[0].id)
    [job] = job_rows()
    assert (job.status, job.attempts) == (JobStatus.dead, 2)
    assert "downstream is down" in (job.last_error or "")
    assert len(handler.runs) == 2


def test_an_unknown_job_kind_is_dead_at_once_with_a_clear_error() -> None:
    with db.unit_of_work() as s:
        enqueue(s, "nobody.handles.this", {})
    Worker(Registry(), worker_id="w1").drain()
    [job] = job_rows()
    assert job.status is JobStatus.dead
    assert "no handler for job kind 'nobody.handles.this'" in (job.last_error or "")


def test_a_job_whose_worker_died_is_taken_over_when_its_lease_expires() -> None:
    handler = Recorder()
    with db.unit_of_work() as s:
        enqueue(s, "test.job", {"n": 1})
    with db.unit_of_work() as s:  # a worker claims it, then the process is killed
        claimed = claim_job(s, "dead-worker", utcnow(), timedelta(minutes=5))
        assert claimed is not None
    restarted = Worker(registry_with(handler), worker_id="new-worker")
    restarted.drain()
    assert handler.runs == []  # the lease still holds
    with db.unit_of_work() as s:
        s.execute(update(Job).values(locked_until=utcnow() - timedelta(seconds=1)))
    restarted.drain()
    assert handler.runs == [{"n": 1}]
    [job] = job_rows()
    assert (job.status, job.attempts) == (JobStatus.done, 2)


def test_events_are_relayed_once_to_every_subscriber() -> None:
    first, second = Recorder(), Recorder()
    registry = Registry()
    registry.job("a.on_completed", first)
    registry.job("b.on_completed", second)
    registry.subscribe("task.completed", "a.on_completed")
    registry.subscribe("task.completed", "b.on_completed")
    with db.unit_of_work() as s:
        emit(s, "task.completed", {"task_id": 9})
        emit(s, "task.unrelated", {"task_id": 9})
    worker = Worker(registry, worker_id="w1")
    worker.drain()
    worker.drain()
    assert first.runs == [{"task_id": 9, "event_id": 1, "event_type": "task.completed"}]
    assert len(second.runs) == 1
    with db.unit_of_work() as s:
        assert all(e.relayed_at is not None for e in s.scalars(select(OutboxEvent)))


def test_several_workers_run_each_job_exactly_once() -> None:
    handler = Recorder()
    with db.unit_of_work() as s:
        for n in range(60):
            enqueue(s, "test.job", {"n": n})
    registry = registry_with(handler)
    workers = [Worker(registry, worker_id=f"w{i}") for i in range(4)]
    threads = [threading.Thread(target=w.drain) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(run["n"] for run in handler.runs) == list(range(60))
    assert {job.status for job in job_rows()} == {JobStatus.done}
    assert effects() == 60


def test_run_forever_stops_when_asked() -> None:
    handler = Recorder()
    with db.unit_of_work() as s:
        enqueue(s, "test.job", {"n": 1})
    stop = threading.Event()
    worker = Worker(registry_with(handler), worker_id="w1", poll_seconds=0.05)
    thread = threading.Thread(target=worker.run_forever, args=(stop,))
    thread.start()
    _wait_for(lambda: job_rows()[0].status is JobStatus.done)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()


def _make_due(job_id: int) -> None:
    with db.unit_of_work() as s:
        s.execute(update(Job).where(Job.id == job_id).values(run_at=utcnow() - timedelta(seconds=1)))


def _wait_for(condition: Any, seconds: float = 20) -> None:
    deadline = threading.Event()
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        deadline.wait(0.05)
    pytest.fail("condition not met in time")


def test_a_relay_takes_every_waiting_event_however_many() -> None:
    """More events than one relay transaction takes (RELAY_BATCH) are all relayed by one call."""
    from careloop.worker.runner import RELAY_BATCH
    registry = Registry()
    registry.job("a.on_completed", Recorder())
    registry.subscribe("task.completed", "a.on_completed")
    with db.unit_of_work() as s:
        for n in range(RELAY_BATCH + 20):
            emit(s, "task.completed", {"task_id": n})
    assert Worker(registry, worker_id="w1").relay_events() == RELAY_BATCH + 20
    with db.unit_of_work() as s:
        assert s.scalar(select(OutboxEvent.id).where(OutboxEvent.relayed_at.is_(None))) is None


def test_events_a_job_emits_are_relayed_within_the_same_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cycle kept busy by jobs (a hospital feed's apply passes) still relays, on a clock: the events its jobs
    emit reach their subscribers before the cycle ends."""
    from careloop.worker import runner
    monkeypatch.setattr(runner, "RELAY_INTERVAL", 0.0)
    subscriber = Recorder()
    registry = Registry()

    def completes_a_task(session: Session, payload: Mapping[str, Any]) -> None:
        emit(session, "task.completed", {"task_id": payload["n"]})

    registry.job("completes", completes_a_task)
    registry.job("a.on_completed", subscriber)
    registry.subscribe("task.completed", "a.on_completed")
    with db.unit_of_work() as s:
        enqueue(s, "completes", {"n": 1})
    Worker(registry, worker_id="w1").run_once()
    assert subscriber.runs == [{"task_id": 1, "event_id": 1, "event_type": "task.completed"}]
