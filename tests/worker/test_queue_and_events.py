"""Jobs and events are written in the caller's transaction: they exist exactly when the change commits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from careloop import db
from careloop.models import Job, JobStatus, OutboxEvent
from careloop.worker import emit, enqueue


def count(model: type) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_enqueue_commits_with_the_change() -> None:
    with db.unit_of_work() as s:
        assert enqueue(s, "demo.kind", {"task_id": 7})
    with db.unit_of_work() as s:
        job = s.scalars(select(Job)).one()
        assert (job.kind, job.payload, job.status, job.attempts) == ("demo.kind", {"task_id": 7}, JobStatus.queued, 0)


def test_rolled_back_change_leaves_no_job_and_no_event() -> None:
    with pytest.raises(RuntimeError), db.unit_of_work() as s:
        enqueue(s, "demo.kind", {})
        emit(s, "task.completed", {"task_id": 1})
        raise RuntimeError("the change failed")
    assert count(Job) == 0
    assert count(OutboxEvent) == 0


def test_enqueue_with_a_key_is_idempotent_even_in_later_transactions() -> None:
    with db.unit_of_work() as s:
        assert enqueue(s, "demo.kind", {"n": 1}, key="once")
        assert not enqueue(s, "demo.kind", {"n": 2}, key="once")
    with db.unit_of_work() as s:
        assert not enqueue(s, "demo.kind", {"n": 3}, key="once")
    assert count(Job) == 1


def test_emit_records_the_event_for_the_relay() -> None:
    with db.unit_of_work() as s:
        emit(s, "task.completed", {"task_id": 5})
    with db.unit_of_work() as s:
        event = s.scalars(select(OutboxEvent)).one()
        assert (event.type, event.payload, event.relayed_at) == ("task.completed", {"task_id": 5}, None)
