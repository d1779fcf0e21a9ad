"""What the worker can run: job handlers by kind, event subscriptions, and periodic schedules."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

# A handler runs inside the worker's unit of work: it flushes, never commits, and must be idempotent.
JobHandler = Callable[[Session, Mapping[str, Any]], None]
# The same for a batch of jobs of one kind, in order, which it may do step by step for all of them at once.
BatchHandler = Callable[[Session, Sequence[Mapping[str, Any]]], None]


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    job_kind: str
    interval_seconds: int


@dataclass
class Registry:
    handlers: dict[str, JobHandler] = field(default_factory=dict)
    subscriptions: dict[str, list[str]] = field(default_factory=dict)  # event type -> job kinds
    schedules: list[ScheduleSpec] = field(default_factory=list)
    batch_sizes: dict[str, int] = field(default_factory=dict)  # job kind -> how many to run per transaction
    batch_handlers: dict[str, BatchHandler] = field(default_factory=dict)
    planned: set[str] = field(default_factory=set)  # job kinds whose relayed event batches are planned in a snapshot

    def job(self, kind: str, handler: JobHandler, *, batch: int = 1, batch_handler: BatchHandler | None = None,
            plans: bool = False) -> None:
        """`batch` > 1: the worker may run up to that many queued jobs of this kind in one transaction (for
        small, frequent jobs such as a hospital feed's events); the handler must not mind sharing it.
        `batch_handler`: runs such a batch in one call instead of the handler once per job; it must do what the
        handler would have done for each job, in order (a failed batch is retried job by job with the handler).
        `plans`: on SQLite, the batch handler is first run on a relay's batch of events in a planning session
        (worker/plans.py), and what it planned is written under the writer turn (worker/plans.py); it must put every
        write in the write phase (db.write_phase) or raise plans.NotPlannable."""
        if kind in self.handlers:
            raise ValueError(f"job kind {kind!r} registered twice")
        if batch < 1:
            raise ValueError("a batch is at least one job")
        self.handlers[kind] = handler
        if batch > 1:
            self.batch_sizes[kind] = batch
        if batch_handler is not None:
            self.batch_handlers[kind] = batch_handler
        if plans:
            if batch_handler is None:
                raise ValueError("only a batch handler plans")
            self.planned.add(kind)

    def batch_size(self, kind: str) -> int:
        return self.batch_sizes.get(kind, 1)

    def subscribe(self, event_type: str, job_kind: str) -> None:
        if job_kind not in self.handlers:
            raise ValueError(f"subscribe {event_type!r} to unknown job kind {job_kind!r}")
        self.subscriptions.setdefault(event_type, []).append(job_kind)

    def every(self, seconds: int, job_kind: str, *, name: str | None = None) -> None:
        if job_kind not in self.handlers:
            raise ValueError(f"schedule of unknown job kind {job_kind!r}")
        if seconds < 1:
            raise ValueError("a schedule's interval must be at least one second")
        self.schedules.append(ScheduleSpec(name or job_kind, job_kind, seconds))

    def subscribers(self, event_type: str) -> list[str]:
        return self.subscriptions.get(event_type, [])
