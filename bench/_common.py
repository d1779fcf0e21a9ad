"""Shared benchmark plumbing: fresh databases on either backend, timing, and figure printing."""

from __future__ import annotations

import os
import resource
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from careloop import db, migrate

PG_BASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
RESULTS = Path(__file__).resolve().parent / "results"


@contextmanager
def fresh_database(backend: str, *, keep: bool = False) -> Iterator[str]:
    """A migrated, empty database: a temporary SQLite file or a new PostgreSQL schema (dropped after)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="careloop-bench-") as folder:
            url = f"sqlite:///{folder}/bench.db"
            db.configure(url)
            migrate.upgrade()
            yield url
            db.engine().dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = db.make_engine(PG_BASE_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_BASE_URL}?options=-csearch_path%3D{schema}"
    try:
        db.configure(url)
        migrate.upgrade()
        yield url
    finally:
        db.engine().dispose()
        if not keep:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


class TreeMemory:
    """Peak resident memory of this process and its children together, sampled every `every` seconds while
    in use (ru_maxrss cannot say it: a child's figure counts the parent's pages it was forked with)."""

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self.every):
            self.peak_mb = max(self.peak_mb, sum(_rss_mb(pid) for pid in (os.getpid(), *_children())))


def _children() -> list[int]:
    pids: list[int] = []
    for task in Path("/proc/self/task").iterdir():
        try:
            pids.extend(int(p) for p in (task / "children").read_text().split())
        except OSError:
            continue
    return pids


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
