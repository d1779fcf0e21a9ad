"""Enqueue a job inside the caller's transaction: it exists exactly when the change that caused it commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from careloop.clock import utcnow
from careloop.db import insert_each_ignoring_conflict, insert_ignoring_conflict
from careloop.models.jobs import Job, JobStatus

DEFAULT_MAX_ATTEMPTS = 8


def enqueue(session: Session, kind: str, payload: Mapping[str, Any] | None = None, *, key: str | None = None,
            run_at: datetime | None = None, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> bool:
    """Queue `kind` with its JSON payload; with a key, a second enqueue of the same key is a no-op.

    Returns whether a job was added. Handlers must still be idempotent: a worker that dies after the
    handler's work committed but before the job was marked done will see the job again.
    """
    values = _row(kind, payload, key, run_at, max_attempts, utcnow())
    if key is None:
        session.add(Job(**values))
        session.flush()
        return True
    return insert_ignoring_conflict(session, Job, values, conflict_columns=["key"])


def enqueue_keyed(session: Session, jobs: Iterable[tuple[str, Mapping[str, Any], str]], *,
                  max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> None:
    """Queue many (kind, payload, key) jobs, due now, in one statement (the relay); a key already queued is skipped,
    as enqueue skips it."""
    now = utcnow()
    rows = [_row(kind, payload, key, None, max_attempts, now) for kind, payload, key in jobs]
    insert_each_ignoring_conflict(session, Job, rows, conflict_columns=["key"])


def _row(kind: str, payload: Mapping[str, Any] | None, key: str | None, run_at: datetime | None, max_attempts: int,
         now: datetime) -> dict[str, Any]:
    return {"kind": kind, "payload": dict(payload or {}), "key": key, "status": JobStatus.queued,
            "run_at": run_at or now, "attempts": 0, "max_attempts": max_attempts, "created_at": now}
