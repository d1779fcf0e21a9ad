"""Durable background work: the jobs table, the domain-events outbox, and periodic schedules.

Both rows are written in the same transaction as the change that caused them, so work is never lost to
a crash between "saved" and "queued", and never runs for a change that was rolled back.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, str_enum


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    dead = "dead"  # out of attempts; kept for an operator to read and retry


class Job(IntPK, Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_run_at", "status", "run_at"),)

    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    # Idempotency: enqueueing the same key twice yields one job.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus, 16), default=JobStatus.queued)
    run_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class OutboxEvent(IntPK, Base):
    """A domain event (e.g. task.completed); the worker relays each to the handlers subscribed to its type."""

    __tablename__ = "outbox_events"
    # The relay reads the unrelayed events in order, a feed's rate of them; the events are kept a week after (the
    # purge finds them by relayed_at). Each read has an index of its own rows (migration 0014 says why).
    __table_args__ = (
        Index("ix_outbox_events_unrelayed", "id", sqlite_where=text("relayed_at IS NULL"),
              postgresql_where=text("relayed_at IS NULL")),
        Index("ix_outbox_events_relayed_at", "relayed_at", sqlite_where=text("relayed_at IS NOT NULL"),
              postgresql_where=text("relayed_at IS NOT NULL")),
    )

    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    occurred_at: Mapped[datetime]
    relayed_at: Mapped[datetime | None]


class Schedule(Base):
    """A periodic job; whichever worker moves next_run_at forward first (compare-and-set) enqueues it."""

    __tablename__ = "schedules"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    job_kind: Mapped[str] = mapped_column(String(64))
    interval_seconds: Mapped[int] = mapped_column(Integer)
    next_run_at: Mapped[datetime]
    last_run_at: Mapped[datetime | None]


class WriteEpoch(Base):
    """One row counting the write transactions careloop has opened on a SQLite database (db.py bumps it at each
    BEGIN IMMEDIATE, but for the group committer's appends): a worker that planned a batch in a snapshot, without
    the writer turn, writes the plan only if the count moved by its own transaction alone since that snapshot, so
    nothing it read can have changed (worker/plans.py). PostgreSQL has the table and never uses it: there is no
    single writer there to keep short."""

    __tablename__ = "write_epochs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer)
