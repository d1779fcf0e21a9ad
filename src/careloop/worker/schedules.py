"""Periodic jobs without a scheduler process: whichever worker moves a schedule's next_run_at forward
first (compare-and-set on the value it read) enqueues the run, so several workers never double it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from careloop.db import insert_ignoring_conflict
from careloop.driver_reads import DriverRead
from careloop.models.jobs import Schedule
from careloop.worker.queue import enqueue
from careloop.worker.registry import ScheduleSpec


def ensure_schedules(session: Session, specs: Iterable[ScheduleSpec], now: datetime) -> None:
    """Create missing schedules (first run now) and apply changed intervals; safe with racing workers."""
    for spec in specs:
        created = insert_ignoring_conflict(
            session, Schedule, {"name": spec.name, "job_kind": spec.job_kind,
                                "interval_seconds": spec.interval_seconds, "next_run_at": now},
            conflict_columns=["name"])
        if not created:
            session.execute(update(Schedule).where(Schedule.name == spec.name)
                            .values(job_kind=spec.job_kind, interval_seconds=spec.interval_seconds))


# On the driver's cursor: the worker asks at every cycle, several times a second under a hospital feed, and the same
# question built and run through SQLAlchemy's execution path took 1.5 ms of its CPU each time.
_DUE = DriverRead(select(Schedule.name, Schedule.job_kind, Schedule.interval_seconds, Schedule.next_run_at)
                  .where(Schedule.next_run_at <= bindparam("now", type_=Schedule.next_run_at.type)))


def tick(session: Session, now: datetime) -> int:
    """Enqueue every schedule that is due; returns how many runs this worker won."""
    due = _DUE.rows(session, {"now": now})
    won = 0
    for name, job_kind, interval, planned in due:
        following = _next_run(planned, interval, now)
        moved = session.execute(
            update(Schedule).where(Schedule.name == name, Schedule.next_run_at == planned)
            .values(next_run_at=following, last_run_at=now)
        )
        if moved.rowcount == 1:  # type: ignore[attr-defined]
            enqueue(session, job_kind, {"schedule": name, "planned_at": planned.isoformat()},
                    key=f"schedule:{name}:{planned.isoformat()}")
            won += 1
    return won


def _next_run(planned: datetime, interval: int, now: datetime) -> datetime:
    """Keep the cadence; after downtime, run once now rather than once per missed interval."""
    following = planned + timedelta(seconds=interval)
    return following if following > now else now + timedelta(seconds=interval)
