"""Domain events through the outbox: written with the change, relayed by the worker after commit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from careloop.clock import utcnow
from careloop.models.jobs import OutboxEvent
from careloop.pending_inserts import PendingInserts


def emit(session: Session, event_type: str, payload: Mapping[str, Any], *, into: PendingInserts | None = None) -> None:
    """Record that something happened (e.g. "task.assigned"); subscribers run as jobs once it commits.

    `into`: a batch job's pending inserts, so the batch's events are written with one INSERT at its end."""
    row = {"type": event_type, "payload": dict(payload), "occurred_at": utcnow(), "relayed_at": None}
    if into is not None:
        into.add(OutboxEvent, row)
        return
    session.add(OutboxEvent(**row))
