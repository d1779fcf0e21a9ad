"""What the worker does for each ADT message, counted rather than timed: the statements SQLite runs for it, its
transactions, and the rows its reads on the driver's cursor return, with its CPU time beside them.

The counts do not depend on how fast the machine is this hour (this one is shared, and its speed moves by half
from one run to the next), so two commits compare on them run for run. The feed is the end-to-end benchmark's
(`bench_adt.messages`: admissions, transfers and discharges round robin over 500 patients, a stay every ten days),
stored as the MLLP listener's group commits store it (`--chunk` messages each, `--commits` of them between two
worker cycles) and worked by one worker in this process, with the write-ahead log checkpointed by a thread as in
`careloop worker`. Statements run by executemany count once per row.

    .venv/bin/python -m bench.worker_counts --messages 30000
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from bench._common import fresh_database
from bench.bench_adt import PATIENTS, messages, seed_patients
from careloop import db
from careloop.clock import utcnow
from careloop.driver_reads import DriverRead
from careloop.group_commit import APPENDS_ONLY
from careloop.integrations.hl7v2.intake import receive
from careloop.integrations.hl7v2.store import store_batch
from careloop.jobs_registry import build_registry
from careloop.worker.runner import Worker
from careloop.writer_turn import turn_totals


class Counts:
    """Statements and transactions SQLite ran while `working`, and rows DriverRead returned meanwhile."""

    def __init__(self) -> None:
        self.counter: Counter[str] = Counter()
        self.working = False
        self.held = 0.0  # seconds the worker held the writer turn

    def trace(self, sql: str) -> None:
        if self.working:
            self.counter["statements"] += 1
            if sql.lstrip().upper().startswith("COMMIT"):
                self.counter["transactions"] += 1

    def watch(self, connection: sqlite3.Connection, _record: Any) -> None:
        connection.set_trace_callback(self.trace)

    def count_rows(self) -> None:
        rows = DriverRead.rows
        counts = self

        def counted(self: DriverRead, session: Session, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
            found = rows(self, session, params)
            if counts.working:
                counts.counter["rows read"] += len(found)
            return found

        DriverRead.rows = counted  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=30_000)
    parser.add_argument("--chunk", type=int, default=14, help="messages a group commit")
    parser.add_argument("--commits", type=int, default=4, help="group commits between two worker cycles")
    parser.add_argument("--patients", type=int, default=PATIENTS, help="the patients the stays go round")
    parser.add_argument("--own-connection", action="store_true",
                        help="store on a connection of its own, as the listener's process does: each store then "
                             "empties the worker's page cache")
    args = parser.parse_args()
    counts = Counts()
    counts.count_rows()
    batch = messages(args.messages, args.patients)
    with fresh_database("sqlite"):
        seed_patients(args.patients)
        db.checkpoint_in_background()
        event.listen(db.engine(), "connect", counts.watch)
        db.engine().dispose()  # the pooled connections from before are not watched
        worker = Worker(build_registry(), worker_id="bench-counts")
        received = [receive(m.text) for m in batch]
        store = _listener_store(args.own_connection)
        cpu = 0.0
        per_cycle = args.chunk * args.commits
        for start in range(0, len(received), per_cycle):
            for first in range(start, min(start + per_cycle, len(received)), args.chunk):
                store(received[first:first + args.chunk])
            cpu += _worked(worker, counts, worker.run_once)
        cpu += _worked(worker, counts, worker.drain)
    print(f"the worker, for each of {args.messages:,} messages over {args.patients:,} patients ({args.chunk} a group "
          f"commit, {args.commits} group commits a cycle), SQLite:")
    for name in ("statements", "transactions", "rows read"):
        print(f"  {name:14s} {counts.counter[name] / args.messages:8.2f}")
    print(f"  {'CPU ms':14s} {cpu / args.messages * 1000:8.3f}  (this process, the checkpoint thread included)")
    print(f"  {'turn held ms':14s} {counts.held / args.messages * 1000:8.3f}  "
          "(SQLite's writer turn; the stores' turns are not in it)")
    planned = ", ".join(f"{name} {count}" for name, count in sorted(worker.plan_counts.items())) or "none"
    print(f"  batches planned in a snapshot: {planned}")


def _listener_store(own_connection: bool) -> Any:
    """Store a group commit as the listener does (appends only, db.unit_of_work), on the worker's pooled connection
    or on one of its own."""
    if not own_connection:
        def store(part: list[Any]) -> None:
            with db.unit_of_work(appends_only=True) as session:
                store_batch(session, part, utcnow())
        return store
    own = db.make_engine(db.engine().url.render_as_string(hide_password=False), pool_size=1).execution_options(
        **{APPENDS_ONLY: True})

    def store_apart(part: list[Any]) -> None:
        with Session(own) as session, session.begin():
            store_batch(session, part, utcnow())
    return store_apart


def _worked(worker: Worker, counts: Counts, work: Any) -> float:
    started, turns = time.process_time(), turn_totals()
    counts.working = True
    try:
        work()
    finally:
        counts.working = False
    counts.held += turn_totals().since(turns).held
    return time.process_time() - started


if __name__ == "__main__":
    main()
