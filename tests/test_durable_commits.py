"""A commit that is a promise (the MLLP listener's AA) is synced to the disk before the promise is made: on SQLite
`db.sync_log` fsyncs the write-ahead log after the commit, outside the writer turn, so no other writer waits for the
disk; every connection keeps synchronous=NORMAL, which survives a killed process but not a power loss."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from careloop import db
from careloop.integrations.hl7v2.intake import receive
from careloop.integrations.hl7v2.listener import commit_batch
from tests.integrations.hl7v2.helpers import adt

NORMAL = 1  # PRAGMA synchronous


@pytest.fixture
def sqlite_file(tmp_path: Path, migrated: str, backend: str) -> Iterator[str]:
    """A migrated database of its own; afterwards the suite's again."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL syncs its log at each commit already (synchronous_commit=on)")
    path = tmp_path / "durable.db"
    db.configure(f"sqlite:///{path}")
    with db.engine().begin() as conn:
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY)"))
    yield str(path)
    db.configure(migrated)


def _record_fsyncs(monkeypatch: pytest.MonkeyPatch, seen: list[str], check: Callable[[], None] | None = None) -> None:
    """Each fsync's file, in order; `check` runs at each, before the real one."""
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        seen.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        if check is not None:
            check()
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)


def test_the_log_is_synced_after_the_commit_and_its_directory_once(sqlite_file: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def committed_and_turn_free() -> None:
        with sqlite3.connect(sqlite_file) as other:  # the commit came first: another connection sees the row
            assert other.execute("SELECT count(*) FROM notes").fetchone()[0] >= 1
        turn = os.open(f"{sqlite_file}.writer-turn", os.O_RDWR)
        try:  # and its writer turn has ended: another writer is not kept waiting for the disk
            fcntl.flock(turn, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(turn, fcntl.LOCK_UN)
        finally:
            os.close(turn)

    _record_fsyncs(monkeypatch, seen, committed_and_turn_free)
    for note in (1, 2):
        with db.unit_of_work() as session:
            session.execute(text("INSERT INTO notes (id) VALUES (:id)"), {"id": note})
        db.sync_log()
    wal, folder = str(Path(f"{sqlite_file}-wal").resolve()), str(Path(sqlite_file).resolve().parent)
    assert seen == [wal, folder, wal]  # the directory's entry for the log only the first time


def test_connections_keep_normal_sync(sqlite_file: str) -> None:
    db.sync_log()
    with db.engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == NORMAL


def test_the_listeners_group_commit_syncs_before_it_returns(backend: str, session: Session,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """commit_batch returns (and the ACKs go out) only after the log holding its rows was synced."""
    seen: list[str] = []
    _record_fsyncs(monkeypatch, seen)
    commit_batch([receive(adt("A01", "SYNC1"))])
    if backend == "sqlite":
        assert seen and seen[0].endswith("-wal")
    else:
        assert seen == []  # PostgreSQL synced at its commit


def test_no_log_file_is_nothing_to_sync(sqlite_file: str) -> None:
    """When every connection has closed, the last one checkpointed the log into the database file (and synced it)
    and removed the log: the sync has nothing left to do and does not fail."""
    db.engine().dispose()
    assert not Path(f"{sqlite_file}-wal").exists()
    db.sync_log()
