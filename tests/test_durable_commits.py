"""A process whose commits are promises (the MLLP listener's AA) syncs each commit to the disk on SQLite
(synchronous=FULL); the others keep NORMAL, which survives the process being killed but not a power loss."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from careloop import db

NORMAL, FULL = 1, 2  # PRAGMA synchronous


@pytest.fixture
def sqlite_file(tmp_path: Path, migrated: str, backend: str) -> Iterator[str]:
    """A database of its own (the setting is per engine); afterwards the suite's again."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL syncs its log at each commit already (synchronous_commit=on)")
    db.configure(f"sqlite:///{tmp_path / 'durable.db'}")
    yield str(tmp_path / "durable.db")
    db.configure(migrated)


def _synchronous() -> int:
    with db.engine().connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA synchronous").scalar_one())


def test_commits_sync_to_disk_once_asked_and_only_then(sqlite_file: str) -> None:
    assert _synchronous() == NORMAL
    with db.engine().begin() as conn:  # a connection pooled before the switch is not kept with the old setting
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY)"))
    db.commits_survive_power_loss()
    db.commits_survive_power_loss()  # asked twice: one listener
    assert _synchronous() == FULL
    with db.unit_of_work() as session:
        session.execute(text("INSERT INTO notes (id) VALUES (1)"))
    db.configure(f"sqlite:///{sqlite_file}")  # a new engine (another process's): NORMAL again
    assert _synchronous() == NORMAL
