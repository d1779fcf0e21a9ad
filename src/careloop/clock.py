"""Time in one place, always timezone-aware UTC, so tests and sweeps can reason about it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_INSTANT: ContextVar[datetime | None] = ContextVar("careloop_instant", default=None)


def utcnow() -> datetime:
    return _INSTANT.get() or datetime.now(UTC)


@contextmanager
def one_instant() -> Iterator[datetime]:
    """Within this block `utcnow()` is one instant, taken at its start: for a worker job's transaction, whose
    rows (audit, history, tasks) then say when the job's work happened, as PostgreSQL's now() is the time its
    transaction started. A batch of a hospital feed's events writes thousands of timestamps, and one instant is
    one value to convert for the database rather than one per row. Nested blocks keep the outer instant."""
    if _INSTANT.get() is not None:
        yield utcnow()
        return
    instant = datetime.now(UTC)
    token = _INSTANT.set(instant)
    try:
        yield instant
    finally:
        _INSTANT.reset(token)


def require_timezone(value: datetime | None) -> datetime | None:
    """A pydantic field validator: times arriving from outside must say their zone (we never guess one)."""
    if value is not None and value.tzinfo is None:
        raise ValueError("needs a timezone (e.g. 2026-11-30T17:00:00Z)")
    return value
