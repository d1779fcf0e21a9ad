"""A relay's batch of events planned in a snapshot, then written under SQLite's writer turn if the snapshot holds.

SQLite has one writer, and careloop's writers take turns at it (writer_turn.py). Under a hospital feed the worker
held the turn for 0.94-0.99 of the run (BENCHMARKS.md), because it held it through each batch: its reads and its
Python as well as its writes. The pathway engine's batches were about half of the worker's time, and most of that is
reading the patients' facts and deciding what the rules do, not writing.

So on SQLite the worker first plans (`Worker.run_next`): in a deferred read transaction, without the turn, it finds
the job due first and, when that is a relay's batch of events for a kind registered with `plans=True`, runs the batch
handler on a planning session (`planning`), which keeps the handler's writes instead of running them. Then, under
the turn, in the transaction that would have claimed the next job anyway, the plan is written only if

- `write_epochs` moved by this transaction's own count alone since the snapshot (`holds`): no other write
  transaction (another worker, the relay, a coordinator's change in the web app) committed in between, so all that
  the plan read is as it read it. The group committer's appends and the MLLP listener's received messages are not
  counted (db.unit_of_work's `appends_only`): they only add rows that no plan reads;
- and the job is still there to claim.

Otherwise, or when the handler cannot plan (`NotPlannable`: a cancel in the batch, an event seen before), that
transaction claims and runs the next job as before and the plan is dropped; the cost is the planning done twice.
PostgreSQL does not plan: it has no single writer to keep short, and planning would add work to the same cores.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from careloop import db
from careloop.db import PLANNED_WRITES, READ_PHASE, WritePhaseAction


class NotPlannable(Exception):
    """Work that cannot be planned in a snapshot (it must write before it can read on); it runs under the writer
    turn instead."""


@dataclass(frozen=True)
class Plan:
    epoch: int  # write_epochs.n in the snapshot the plan was made in
    job_id: int
    kind: str
    payload: Mapping[str, Any]
    attempts: int  # before this run
    max_attempts: int
    writes: tuple[WritePhaseAction, ...]


def plans_here() -> bool:
    """Whether the database is one where planning pays: SQLite, one writer at a time."""
    return db.engine().dialect.name == "sqlite"


def holds(session: Session, plan: Plan) -> bool:
    """In the write transaction (which counted itself at its BEGIN): nothing else was written since the plan's
    snapshot."""
    return write_epoch(session) == plan.epoch + 1


def write(session: Session, plan: Plan) -> None:
    for action in plan.writes:
        action(session)


@contextmanager
def planning() -> Iterator[Session]:
    """A session for work planned in one snapshot without SQLite's writer turn. It reads in a deferred transaction;
    its connection refuses every write (PRAGMA query_only), so work that writes as it goes fails here rather than
    writing out of turn; `db.write_phase` actions and `db.append_rows` are kept as the plan (`planned_writes`).
    Objects added to the session make the work NotPlannable. It always ends in a rollback: it has written nothing."""
    session = db.session_factory()(bind=_planning_bind(), autoflush=False)
    session.info[PLANNED_WRITES] = []
    session.connection().info[READ_PHASE] = False  # a write is refused, not taken as the start of a write phase
    try:
        yield session
        if session.new or session.dirty or session.deleted:
            raise NotPlannable("the work changed objects of its session instead of planning its writes")
    finally:
        session.rollback()
        session.close()


def planned_writes(session: Session) -> list[WritePhaseAction]:
    """The writes a planning session kept, in order: each to be run on the session that writes the plan."""
    return list(session.info.get(PLANNED_WRITES) or ())


# The planning engine of the process's engine (db.configure makes a new one in tests): (the engine, its planner).
_planners: list[tuple[Engine, Engine]] = []


def _planning_bind() -> Engine:
    """Connections of their own, each refusing every write for its life (PRAGMA query_only). Not the pool's
    connections switched for a while: SQLite expires every statement it has prepared on a connection when such a
    pragma changes, and preparing them all again cost the worker a fifth more CPU a message."""
    current = db.engine()
    if not _planners or _planners[0][0] is not current:
        for _, old in _planners:
            old.dispose()
        planner = db.make_engine(current.url.render_as_string(hide_password=False), pool_size=1, max_overflow=4)
        event.listen(planner, "connect", _refusing_writes)
        _planners[:] = [(current, planner)]
    return _planners[0][1].execution_options(**{READ_PHASE: True})


def _refusing_writes(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA query_only=ON")


_WRITE_EPOCH = text("SELECT n FROM write_epochs WHERE id = 1")


def write_epoch(session: Session) -> int:
    """How many write transactions have been counted (db._count_write_transaction), as this transaction sees it."""
    return int(session.scalar(_WRITE_EPOCH) or 0)
