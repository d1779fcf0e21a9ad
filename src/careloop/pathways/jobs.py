"""The worker job that feeds encounter events to the pathway engine (subscribed in jobs_registry.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from careloop.pathways import engine

APPLY_JOB = "pathways.apply_event"


def apply_event(session: Session, payload: Mapping[str, Any]) -> None:
    engine.process(session, payload)


def apply_events(session: Session, payloads: Sequence[Mapping[str, Any]]) -> None:
    """A batch of these jobs in one transaction (the worker's batch handler): the engine reads and writes per step
    for all the events rather than per event."""
    engine.process_all(session, payloads)
