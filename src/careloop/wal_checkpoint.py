"""SQLite's write-ahead log moved into the database file by a thread of its own, off the writers' path.

By default SQLite checkpoints inside a COMMIT: the writer whose commit takes the log past 1,000 pages copies the
log's pages into the database file and, with synchronous=NORMAL, waits for the disk to sync both, while it still
holds the write lock (and careloop's writer turn, writer_turn.py). Under a hospital feed that was the
worker's commits, the listener's ACKs waiting behind them: without it the worker's wall time fell by a tenth on
the same CPU time (BENCHMARKS.md). The long-running writers (the worker, the MLLP listener, the demo) therefore
turn the automatic checkpoint off on their connections and run this thread, which checkpoints PASSIVE (it takes no
write lock: writers go on appending to the log meanwhile, and the log restarts from its beginning once a
checkpoint has copied all of it) a few times a second, on its own connection. Other processes keep SQLite's
automatic checkpoint, so a database written by them alone still has its log kept short.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass

log = logging.getLogger("careloop.db")

INTERVAL_SECONDS = 0.2


@dataclass(frozen=True)
class CheckpointResult:
    """What `PRAGMA wal_checkpoint` reports: whether it was kept from finishing, the log's frames, and how many of
    them are now in the database file."""

    busy: bool
    log_frames: int
    checkpointed_frames: int


class WalCheckpointer:
    def __init__(self, path: str, *, interval: float = INTERVAL_SECONDS) -> None:
        self.path = path
        self.interval = interval
        self.last: CheckpointResult | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="careloop-wal-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def checkpoint(self, connection: sqlite3.Connection) -> CheckpointResult:
        busy, log_frames, checkpointed = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.last = CheckpointResult(bool(busy), log_frames, checkpointed)
        return self.last

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            # The checkpoint syncs as the writers' connections would (db._sqlite_engine sets NORMAL there too).
            connection.execute("PRAGMA synchronous=NORMAL")
            while not self._stop.wait(self.interval):
                try:
                    self.checkpoint(connection)
                except sqlite3.Error as error:  # another checkpointer at work, a full disk: try again next time
                    log.warning("WAL checkpoint of %s did not run: %s", self.path, error)
        finally:
            connection.close()
