"""A relay's batch of events planned in a snapshot, then written under SQLite's writer turn if the snapshot holds.

SQLite has one writer, and careloop's writers take turns at it (writer_turn.py). Under a hospital feed the worker
held the turn for 0.94-0.99 of the run (BENCHMARKS.md), because it held it through each batch: its reads and its
Python as well as its writes. The pathway engine's batches were about half of the worker's time, and most of that is
reading the patients' facts and deciding what the rules do, not writing.

So on SQLite the worker first plans (`Worker.run_next`): in a deferred read transaction, without the turn, it finds
the job due first and, when that is a relay's batch of events for a kind registered with `plans=True`, runs the batch
handler on a planning session (db.planning), which keeps the handler's writes instead of running them. Then, under
the turn, in the transaction that would have claimed the next job anyway, the plan is written only if

- `write_epochs` moved by this transaction's own count alone since the snapshot (`holds`): no other write
  transaction (another worker, the relay, a coordinator's change in the web app) committed in between, so all that
  the plan read is as it read it. The group committer's appends and the MLLP listener's received messages are not
  counted (db.unit_of_work's `appends_only`): they only add rows that no plan reads;
- and the job is still there to claim.

Otherwise, or when the handler cannot plan (db.NotPlannable: a cancel in the batch, an event seen before), that
transaction claims and runs the next job as before and the plan is dropped; the cost is the planning done twice.
PostgreSQL does not plan: it has no single writer to keep short, and planning would add work to the same cores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from careloop import db
from careloop.db import WritePhaseAction


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
    return db.write_epoch(session) == plan.epoch + 1


def write(session: Session, plan: Plan) -> None:
    for action in plan.writes:
        action(session)
