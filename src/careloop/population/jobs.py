"""The nightly population refresh, run by the worker."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from careloop import db
from careloop.access import system_actor
from careloop.errors import InvalidInput
from careloop.population import runner, writeback

REFRESH_JOB = "population.refresh"
NIGHTLY_SECONDS = 24 * 3600


def refresh(session: Session, payload: Mapping[str, Any]) -> None:
    """Run every definition for today (or payload "as_of", an ISO date) and "program" (default "default").

    The run opens its own transactions (its write-back goes through ADBC), so the worker's session is not
    used before it: on SQLite that session would otherwise hold the write lock the write-back needs. Running
    it twice makes two runs, the second replacing the first: harmless.
    """
    runner.run_population(system_actor(channel="worker"), as_of=_as_of(payload),
                          program=str(payload.get("program", "default")))


def remove_superseded(session: Session, payload: Mapping[str, Any]) -> None:
    """Delete the results of the runs before payload "run_id", queued when that run succeeded. Like the refresh,
    the deletes run in an ADBC child with the write-back's page cache, and the worker's session stays unused
    until then (on SQLite it would otherwise hold the write lock the child needs). Running it twice is harmless."""
    run_id = payload.get("run_id")
    if not isinstance(run_id, int) or isinstance(run_id, bool):
        raise InvalidInput(f"payload 'run_id' must be a run's id, not {run_id!r}.")
    writeback.remove_superseded(db.engine().url.render_as_string(hide_password=False), run_id)


def _as_of(payload: Mapping[str, Any]) -> date | None:
    raw = payload.get("as_of")
    if raw is None:
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise InvalidInput(f"payload 'as_of' is not an ISO date: {raw!r}.") from None
