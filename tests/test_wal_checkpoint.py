"""A long-running writer's commits leave the write-ahead log to a checkpointing thread (wal_checkpoint.py)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from careloop import db
from careloop.wal_checkpoint import WalCheckpointer


@pytest.fixture
def sqlite_file(tmp_path: Path, migrated: str) -> Iterator[str]:
    """A database of its own; afterwards the process is pointed back at the suite's (which stops the thread)."""
    db.configure(f"sqlite:///{tmp_path / 'wal.db'}")
    with db.engine().begin() as conn:
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    yield str(tmp_path / "wal.db")
    db.configure(migrated)


def _write_pages(count: int) -> None:
    with db.unit_of_work() as session:
        session.execute(text("INSERT INTO notes (body) VALUES (:body)"), [{"body": "x" * 3000}] * count)


def test_the_writers_commits_no_longer_checkpoint_and_the_thread_does(sqlite_file: str) -> None:
    checkpointer = db.checkpoint_in_background()
    assert checkpointer is not None and db.checkpoint_in_background() is checkpointer  # one per process
    with db.engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    _write_pages(2000)  # past SQLite's 1,000-page automatic checkpoint
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        last = checkpointer.last
        if last is not None and last.log_frames > 1000 and last.checkpointed_frames == last.log_frames:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the log was not checkpointed: {checkpointer.last}")
    with sqlite3.connect(sqlite_file) as other:  # the rows are all there for another connection
        assert other.execute("SELECT count(*) FROM notes").fetchone()[0] == 2000


def test_nothing_changes_on_postgresql(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the PostgreSQL run's check")
    assert db.checkpoint_in_background() is None


def test_a_checkpointer_reports_each_checkpoint(tmp_path: Path) -> None:
    path = str(tmp_path / "plain.db")
    with sqlite3.connect(path, isolation_level=None) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute("CREATE TABLE t (x)")
        conn.executemany("INSERT INTO t VALUES (?)", [("y" * 2000,)] * 50)
        result = WalCheckpointer(path).checkpoint(conn)
    assert not result.busy and result.log_frames > 0 and result.checkpointed_frames == result.log_frames
