"""Domain events through the outbox: written with the change, relayed by the worker after commit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from careloop.clock import utcnow
from careloop.models.jobs import OutboxEvent


def emit(session: Session, event_type: str, payload: Mapping[str, Any]) -> None:
    """Record that something happened (e.g. "task.assigned"); subscribers run as jobs once it commits."""
    session.add(OutboxEvent(type=event_type, payload=dict(payload), occurred_at=utcnow()))
