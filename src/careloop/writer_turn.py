"""SQLite writers take turns in the kernel: a connection class that holds an exclusive flock beside the database
from BEGIN IMMEDIATE to COMMIT or ROLLBACK (db._sqlite_engine makes every SQLite connection one)."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TurnTotals:
    """This process's writer turns so far: how many, the seconds its connections waited for one, and the seconds
    they held one (SQLite's write lock is held for the same span). Held seconds over wall seconds is the share of
    the database's one writer this process takes: near 1 between all writers, the database is at its write
    capacity (turn_report.py logs it)."""

    turns: int = 0
    waited: float = 0.0
    held: float = 0.0

    def since(self, earlier: TurnTotals) -> TurnTotals:
        return TurnTotals(self.turns - earlier.turns, self.waited - earlier.waited, self.held - earlier.held)


class _Accounts:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals = TurnTotals()

    def add(self, waited: float, held: float) -> None:
        with self._lock:
            t = self._totals
            self._totals = TurnTotals(t.turns + 1, t.waited + waited, t.held + held)

    def totals(self) -> TurnTotals:
        return self._totals


_ACCOUNTS = _Accounts()


def turn_totals() -> TurnTotals:
    """Every writer turn this process's connections have taken and ended since it started."""
    return _ACCOUNTS.totals()


class WriterTurnConnection(sqlite3.Connection):
    """A SQLite connection whose writers wait for their turn in the kernel, in the order they came.

    SQLite has one write lock, and a writer that finds it taken sleeps in the busy handler on a fixed
    schedule (1, 2, 5, 10 ... up to 100 ms between tries), whoever else is waiting. A process that writes
    again as soon as it commits (the worker, the listener's group commit) took the lock back in the gap time
    after time, while the others slept: with the worker running, the HL7 listener's commits waited on it and
    its intake fell from 2,750 to 470 messages a second (BENCHMARKS.md). So before BEGIN IMMEDIATE a writer
    takes an exclusive `flock` on a file beside the database and holds it to its COMMIT or ROLLBACK. Waiters
    sleep in the kernel and are woken when it is released, not at their next poll, and the one that just
    wrote queues behind them. Each connection has its own open file, so threads of one process queue too.
    Writers that do not use these connections (another program) still meet SQLite's own lock and its busy
    handler, which stays the rule that keeps the database safe; the turn only orders our writers.
    """

    def __init__(self, *args: Any, turn_file: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn_file = turn_file
        self._turn_fd: int | None = None
        self._has_turn = False
        self._asked_at = self._got_at = 0.0

    def wait_for_turn(self) -> None:
        if self._has_turn:
            return
        if self._turn_fd is None:
            self._turn_fd = os.open(self._turn_file, os.O_RDWR | os.O_CREAT, 0o600)
        self._asked_at = time.perf_counter()
        fcntl.flock(self._turn_fd, fcntl.LOCK_EX)  # the interpreter lock is released while it waits
        self._got_at = time.perf_counter()
        self._has_turn = True

    def end_turn(self) -> None:
        if self._has_turn:
            self._has_turn = False
            assert self._turn_fd is not None
            fcntl.flock(self._turn_fd, fcntl.LOCK_UN)
            _ACCOUNTS.add(self._got_at - self._asked_at, time.perf_counter() - self._got_at)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.end_turn()
            if self._turn_fd is not None:
                os.close(self._turn_fd)
                self._turn_fd = None
