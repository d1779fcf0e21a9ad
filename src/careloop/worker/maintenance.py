"""Housekeeping for the worker's own tables: finished jobs and relayed events are kept a while for
operators to read, then deleted so the queue's indexes stay small. Dead jobs are kept until retried."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from careloop import planner_statistics
from careloop.clock import utcnow
from careloop.models.jobs import Job, JobStatus, OutboxEvent

KEEP_FINISHED = timedelta(days=7)


def purge_finished(session: Session, payload: Mapping[str, Any]) -> None:
    cutoff = utcnow() - KEEP_FINISHED
    session.execute(delete(Job).where(Job.status == JobStatus.done, Job.finished_at < cutoff))
    session.execute(delete(OutboxEvent).where(OutboxEvent.relayed_at < cutoff))


def refresh_statistics(session: Session, payload: Mapping[str, Any]) -> None:
    """Daily: keep the planners' statistics current as the tables grow (see careloop.planner_statistics)."""
    planner_statistics.refresh_statistics(session.connection())
