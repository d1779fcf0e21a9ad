"""Time in one place, always timezone-aware UTC, so tests and sweeps can reason about it."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
