"""Group commit for the rows a read leaves behind: one writer thread per process stores them in batches.

Every page a coordinator reads writes audit rows (who saw which patient), and the worklist and the patient
record are read all day. Written by each request, every read was also a write transaction of its own: on
SQLite a turn at the database's single write lock (and a sleep in SQLite's busy handler whenever the other
server process held it), a commit, now and then a WAL checkpoint; on PostgreSQL a WAL flush per request.
Here the rows of all the reads in flight go into one transaction: the writer takes what is queued, writes
it with one INSERT per table (a COPY on PostgreSQL when there are many), commits, and wakes the requests it
stored; what arrives meanwhile waits for the next batch. A request still returns only after its rows are
committed (`store` blocks until then, and raises if they could not be stored), so nothing is shown that is
not audited.

Only appends go this way: rows that nothing reads back within the request and that no later statement of
the request depends on. Anything else a read-mostly unit of work writes still takes db.py's write phase.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Table, insert

from careloop.bulk_rows import copy_rows

# The execution option of a write transaction that only appends rows nothing planned reads (audit rows, a hospital
# feed's received messages and their apply job): db.py does not count it in `write_epochs`, so work planned in a
# snapshot (worker/plans.py) is not thrown away each time one commits.
APPENDS_ONLY = "careloop_appends_only"

# A batch is cut at this many rows so one transaction stays short under a burst (a worklist page of 200
# tasks writes up to 200 rows).
MAX_BATCH_ROWS = 5000
# On PostgreSQL a batch of at least this many rows of one shape goes by COPY (careloop.bulk_rows.copy_rows),
# fewer by INSERT: COPY's extra round trip (the server's go-ahead before the rows are sent) cost more than the
# one or two rows of a patient page's read (0.4 ms a COPY against 0.01 ms an INSERT, pg_stat_statements).
COPY_FROM_ROWS = 8


@dataclass(frozen=True)
class Append:
    """Rows to insert into one table; the rows of one append name the same columns."""

    table: Table
    rows: list[dict[str, Any]]


class Ticket:
    """One request's rows in the queue: finished (stored, or failed with `error`) by the writer thread."""

    def __init__(self, appends: Sequence[Append]) -> None:
        self.appends = appends
        self.error: BaseException | None = None
        self._stored = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    @property
    def row_count(self) -> int:
        return sum(len(a.rows) for a in self.appends)

    def finish(self, error: BaseException | None = None) -> None:
        with self._lock:
            self.error = error
            self._stored.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def wait(self, writer_alive: Callable[[], bool]) -> None:
        while not self._stored.wait(timeout=1.0):
            if not writer_alive():
                raise AppendsNotStored("The writer thread stopped before storing these rows.")
        self._raise_if_failed()

    async def wait_async(self) -> None:
        """Wait on the event loop, holding no thread: the request's thread serves another request meanwhile."""
        loop = asyncio.get_running_loop()
        stored: asyncio.Future[None] = loop.create_future()

        def settle() -> None:
            if not stored.done():
                stored.set_result(None)

        def wake() -> None:
            loop.call_soon_threadsafe(settle)

        with self._lock:
            finished = self._stored.is_set()
            if not finished:
                self._callbacks.append(wake)
        if not finished:
            await stored
        self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self.error is not None:
            raise AppendsNotStored(f"Could not store {self.row_count} row(s): {self.error}") from self.error


class AppendsNotStored(RuntimeError):
    """The rows could not be committed, so the request that made them must not answer as if they were."""


class GroupCommitter:
    """One writer thread for an engine; `store` hands it rows and waits until they are committed."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._queue: list[Ticket] = []
        self._wakeup = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    def store(self, appends: Sequence[Append]) -> None:
        """Queue the rows and wait, on this thread, until they are committed."""
        self.submit(appends).wait(self._writer_alive)

    def submit(self, appends: Sequence[Append]) -> Ticket:
        """Queue the rows; the caller must wait on the ticket before it shows anything the rows record."""
        ticket = Ticket(appends)
        with self._wakeup:
            if self._closed:
                raise AppendsNotStored("The database was reconfigured while this request ran.")
            self._queue.append(ticket)
            self._start_writer()
            self._wakeup.notify()
        return ticket

    def _writer_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def queued(self) -> int:
        """How many requests' rows wait for the next batch."""
        with self._wakeup:
            return len(self._queue)

    def close(self) -> None:
        """Store what is queued, then stop the writer."""
        with self._wakeup:
            self._closed = True
            self._wakeup.notify()
        if self._thread is not None:
            self._thread.join()

    def _start_writer(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="careloop-group-commit", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._wakeup:
                while not self._queue and not self._closed:
                    self._wakeup.wait()
                if not self._queue:
                    return
                batch = self._take_batch()
            self._write(batch)

    def _take_batch(self) -> list[Ticket]:
        batch: list[Ticket] = []
        rows = 0
        while self._queue and (not batch or rows + self._queue[0].row_count <= MAX_BATCH_ROWS):
            ticket = self._queue.pop(0)
            batch.append(ticket)
            rows += ticket.row_count
        return batch

    def _write(self, batch: list[Ticket]) -> None:
        try:
            self._commit([append for ticket in batch for append in ticket.appends])
        except Exception as error:  # reported to every waiting request, never lost
            self._write_one_by_one(batch, error)
            return
        for ticket in batch:
            ticket.finish()

    def _write_one_by_one(self, batch: list[Ticket], error: Exception) -> None:
        """A failed batch is retried request by request, so one bad row fails only the request it came from."""
        if len(batch) == 1:
            batch[0].finish(error)
            return
        for ticket in batch:
            try:
                self._commit(ticket.appends)
            except Exception as own_error:
                ticket.finish(own_error)
            else:
                ticket.finish()

    def _commit(self, appends: Sequence[Append]) -> None:
        # One executemany per table and set of columns: an executemany needs every row to name the same
        # columns, and one audit row may carry an entity id where a list's rows do not.
        by_shape: dict[tuple[Table, frozenset[str]], list[dict[str, Any]]] = {}
        for append in appends:
            for row in append.rows:
                by_shape.setdefault((append.table, frozenset(row)), []).append(row)
        with self._engine.execution_options(**{APPENDS_ONLY: True}).begin() as connection:
            postgresql = connection.dialect.name == "postgresql"
            for (table, _columns), rows in by_shape.items():
                if postgresql and len(rows) >= COPY_FROM_ROWS:
                    copy_rows(connection, table, rows)
                else:
                    connection.execute(insert(table), rows)
