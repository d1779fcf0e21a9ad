"""What the worker can run: job handlers by kind, event subscriptions, and periodic schedules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

# A handler runs inside the worker's unit of work: it flushes, never commits, and must be idempotent.
JobHandler = Callable[[Session, Mapping[str, Any]], None]


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

    def job(self, kind: str, handler: JobHandler) -> None:
        if kind in self.handlers:
            raise ValueError(f"job kind {kind!r} registered twice")
        self.handlers[kind] = handler

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
