"""Writing the encoded chunks: one transaction per chunk, and on PostgreSQL two connections at once.

On PostgreSQL most of a bulk load's time is the server's (index maintenance and a foreign-key trigger per
row), and one COPY keeps one server process busy. So a chunk's tables go down two lanes: the first writes
the patients, their encounters and observations and commits; the second, in its own connection and thread,
then writes the rows that refer to those patients and encounters (identifiers, conditions, medicines, care
teams, tasks) while the first lane already loads the next chunk. If anything fails, chunks the second lane did
not finish are deleted again (their rows cascade from the patient), so the database never keeps half a chunk;
`before_cleanup` runs first (the seed creates its deferred indexes there, so the cascade need not scan).

SQLite allows one writer at a time: there the whole chunk is one transaction on one connection.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, delete

from careloop.models import Patient
from careloop.synth.writer import Batch, advance_sequences, prepare_connection, write_batch

FIRST_LANE = frozenset({"patients", "encounters", "observations"})
Progress = Callable[[int], None]


@dataclass
class _Transaction:
    """A chunk's transaction on one connection, begun when its first batch arrives."""

    engine: Engine
    rows: Counter[str]
    conn: Connection | None = None
    last_ids: dict[str, int] = field(default_factory=dict)

    def write(self, batch: Batch) -> None:
        if self.conn is None:
            self.conn = self.engine.connect()
            self.conn.begin()
            prepare_connection(self.conn)
        write_batch(self.conn, batch)
        self.rows[batch.table] += batch.rows
        self.last_ids[batch.table] = batch.last_id

    def commit(self) -> None:
        if self.conn is None:
            return
        advance_sequences(self.conn, self.last_ids)
        self.conn.commit()
        self.close()

    def close(self) -> None:
        """Without a commit this rolls the chunk back."""
        if self.conn is not None:
            self.conn.close()
        self.conn, self.last_ids = None, {}


def write_chunks(engine: Engine, items: Iterator[Batch | int], progress: Progress | None, *,
                 before_cleanup: Callable[[], None] | None = None) -> Counter[str]:
    """Write batches as they come; an int closes the chunk (its patient count). Returns rows per table.
    On failure `before_cleanup` is called before half-written chunks are deleted (PostgreSQL only)."""
    if engine.dialect.name == "postgresql":
        return _two_lanes(engine, items, progress, before_cleanup)
    rows: Counter[str] = Counter()
    chunk = _Transaction(engine, rows)
    try:
        for item in items:
            if isinstance(item, Batch):
                chunk.write(item)
                continue
            chunk.commit()
            if progress is not None:
                progress(item)
    finally:
        chunk.close()
    return rows


@dataclass(frozen=True)
class _ChunkEnd:
    number: int
    patients: int


class _SecondLane(threading.Thread):
    """Writes the second half of each chunk, in order, in its own connection."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(name="careloop-seed-lane", daemon=True)
        self.rows: Counter[str] = Counter()
        self.finished: queue.Queue[_ChunkEnd] = queue.Queue()
        self.error: BaseException | None = None
        self._work: queue.Queue[Batch | _ChunkEnd | None] = queue.Queue(maxsize=8)
        self._chunk = _Transaction(engine, self.rows)

    def run(self) -> None:
        try:
            while (item := self._work.get()) is not None:
                if isinstance(item, Batch):
                    self._chunk.write(item)
                else:
                    self._chunk.commit()
                    self.finished.put(item)
        except BaseException as error:  # raised again in the main thread
            self.error = error
        finally:
            self._chunk.close()

    def put(self, item: Batch | _ChunkEnd) -> None:
        while self.error is None and self.is_alive():
            try:
                self._work.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        self.raise_if_failed()
        raise RuntimeError("the second seed writer stopped")

    def raise_if_failed(self) -> None:
        if self.error is not None:
            raise self.error

    def finish(self) -> None:
        """Write what was handed over, then stop; raise the lane's error if it had one."""
        self.drain()
        self.raise_if_failed()

    def drain(self) -> None:
        """Finish the chunks already handed over (a chunk handed over in part is rolled back)."""
        while self.is_alive():
            try:
                self._work.put(None, timeout=0.1)
            except queue.Full:
                continue
            self.join()


def _two_lanes(engine: Engine, items: Iterator[Batch | int], progress: Progress | None,
               before_cleanup: Callable[[], None] | None) -> Counter[str]:
    rows: Counter[str] = Counter()
    first = _Transaction(engine, rows)
    second = _SecondLane(engine)
    second.start()
    patients: dict[int, tuple[int, int]] = {}  # chunk number -> its first and last patient key
    done: set[int] = set()
    number = 0
    try:
        for item in items:
            second.raise_if_failed()
            _report(second, done, progress)
            if isinstance(item, Batch) and item.table in FIRST_LANE:
                if item.table == "patients":
                    patients[number] = (item.last_id - item.rows + 1, item.last_id)
                first.write(item)
            elif isinstance(item, Batch):
                first.commit()  # the second lane's rows refer to these patients
                second.put(item)
            else:
                first.commit()
                second.put(_ChunkEnd(number, item))
                number += 1
        second.finish()
        _report(second, done, progress)
    except BaseException:
        first.close()
        second.drain()  # chunks whose first half is committed are completed if the second lane can
        _report(second, done, None)
        if before_cleanup is not None:
            before_cleanup()
        _delete_unfinished(engine, {n: keys for n, keys in patients.items() if n not in done})
        raise
    rows.update(second.rows)
    return rows


def _report(second: _SecondLane, done: set[int], progress: Progress | None) -> None:
    """Progress is reported from the caller's thread, once a chunk's second half is committed."""
    while not second.finished.empty():
        end = second.finished.get()
        done.add(end.number)
        if progress is not None:
            progress(end.patients)


def _delete_unfinished(engine: Engine, chunks: dict[int, tuple[int, int]]) -> None:
    """Remove chunks whose first half was committed and second half was not (rows cascade from patients)."""
    if not chunks:
        return
    with engine.begin() as conn:
        for first_id, last_id in chunks.values():
            conn.execute(delete(Patient).where(Patient.id.between(first_id, last_id)))
