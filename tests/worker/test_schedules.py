"""Periodic jobs: one run per due interval however many workers tick, cadence kept, downtime not replayed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from careloop import db
from careloop.models import Job, Schedule
from careloop.worker import schedules
from careloop.worker.registry import Registry, ScheduleSpec

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SPEC = ScheduleSpec("tasks.sweep_overdue", "tasks.sweep_overdue", 300)


def test_ensure_creates_once_and_applies_a_changed_interval() -> None:
    with db.unit_of_work() as s:
        schedules.ensure_schedules(s, [SPEC], T0)
        schedules.ensure_schedules(s, [SPEC], T0 + timedelta(minutes=1))
    with db.unit_of_work() as s:
        schedules.ensure_schedules(s, [ScheduleSpec(SPEC.name, SPEC.job_kind, 600)], T0)
        row = s.scalars(select(Schedule)).one()
        assert (row.interval_seconds, row.next_run_at) == (600, T0)


def test_two_workers_ticking_the_same_moment_enqueue_one_run() -> None:
    with db.unit_of_work() as s:
        schedules.ensure_schedules(s, [SPEC], T0)
    with db.unit_of_work() as s:
        assert schedules.tick(s, T0 + timedelta(seconds=1)) == 1
    with db.unit_of_work() as s:
        assert schedules.tick(s, T0 + timedelta(seconds=1)) == 0
        assert len(s.scalars(select(Job)).all()) == 1
        assert s.scalars(select(Schedule)).one().next_run_at == T0 + timedelta(seconds=300)


def test_after_downtime_the_schedule_runs_once_and_resumes_its_cadence() -> None:
    with db.unit_of_work() as s:
        schedules.ensure_schedules(s, [SPEC], T0)
    later = T0 + timedelta(hours=3)
    with db.unit_of_work() as s:
        assert schedules.tick(s, later) == 1
        assert schedules.tick(s, later) == 0
        assert s.scalars(select(Schedule)).one().next_run_at == later + timedelta(seconds=300)


def test_registry_refuses_schedules_and_subscriptions_of_unknown_jobs() -> None:
    registry = Registry()
    for call in (lambda: registry.every(60, "missing"), lambda: registry.subscribe("x", "missing")):
        try:
            call()
        except ValueError as exc:
            assert "unknown job kind" in str(exc)
        else:
            raise AssertionError("accepted an unknown job kind")
