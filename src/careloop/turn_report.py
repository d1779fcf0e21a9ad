"""A long-running SQLite writer logs its share of the database's one writer turn (writer_turn.py), so an operator
sees when a SQLite deployment is at its write capacity rather than guessing from a queue that grows.

Every minute that it wrote, the process logs the seconds it held the turn and waited for it; when it spent
nearly the whole minute holding or waiting, it warns: its writes are what bounds it, and more of them will queue.
At exit it logs its totals since start (the ADT benchmark reads that line to show where the feed's time went).
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from dataclasses import dataclass

from careloop.writer_turn import TurnTotals, turn_totals

log = logging.getLogger("careloop.db")

INTERVAL_SECONDS = 60.0
WRITE_BOUND_SHARE = 0.9  # held + waited over the interval: the process is (nearly) always writing or waiting to
TOTALS_PREFIX = "SQLite writer turn since start:"


@dataclass(frozen=True)
class TurnShare:
    seconds: float
    used: TurnTotals

    @property
    def held(self) -> float:
        return self.used.held / self.seconds if self.seconds > 0 else 0.0

    @property
    def waited(self) -> float:
        return self.used.waited / self.seconds if self.seconds > 0 else 0.0

    @property
    def write_bound(self) -> bool:
        return self.held + self.waited >= WRITE_BOUND_SHARE

    def describe(self) -> str:
        turns = self.used.turns
        return (f"held {self.used.held:.1f} s ({self.held:.0%}), waited {self.used.waited:.1f} s "
                f"({self.waited:.0%}) in {self.seconds:.0f} s, {turns:,} turn{'' if turns == 1 else 's'}")


class TurnReporter:
    def __init__(self, *, interval: float = INTERVAL_SECONDS) -> None:
        self.interval = interval
        self.started_at = time.monotonic()
        self.started_with = turn_totals()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="careloop-turn-report", daemon=True)

    def start(self) -> None:
        self._thread.start()
        atexit.register(self.stop)

    def stop(self) -> None:
        """Ends the reports with the totals since start."""
        if self._stop.is_set():
            return
        self._stop.set()
        atexit.unregister(self.stop)
        since_start = TurnShare(time.monotonic() - self.started_at, turn_totals().since(self.started_with))
        log.info("%s %s", TOTALS_PREFIX, since_start.describe())

    def report(self, share: TurnShare) -> None:
        if share.used.turns == 0:
            return
        if share.write_bound:
            log.warning("SQLite writer turn: %s. This process is always writing or waiting to: the database's one "
                        "writer is what bounds it (PostgreSQL lets writers work at once)", share.describe())
        else:
            log.info("SQLite writer turn: %s", share.describe())

    def _run(self) -> None:
        last_at, last = time.monotonic(), turn_totals()
        while not self._stop.wait(self.interval):
            now_at, now = time.monotonic(), turn_totals()
            self.report(TurnShare(now_at - last_at, now.since(last)))
            last_at, last = now_at, now
