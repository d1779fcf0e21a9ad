"""Time in one place, always timezone-aware UTC, so tests and sweeps can reason about it."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def require_timezone(value: datetime | None) -> datetime | None:
    """A pydantic field validator: times arriving from outside must say their zone (we never guess one)."""
    if value is not None and value.tzinfo is None:
        raise ValueError("needs a timezone (e.g. 2026-11-30T17:00:00Z)")
    return value
