"""Jobs registered with a batch size run several per transaction; a failing one makes the batch run again one by
one, so it fails alone and the others are done."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from careloop import db
from careloop.clock import utcnow
from careloop.models import AuditEvent, Job, JobStatus
from careloop.worker import enqueue
from careloop.worker.registry import Registry
from careloop.worker.runner import Worker


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
    import pytest

    with pytest.raises(ValueError, match="at least one"):
        Registry().job("x", record, batch=0)
