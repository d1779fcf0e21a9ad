"""SQLite writers take turns in the kernel (careloop.writer_turn.WriterTurnConnection): a writing unit of work holds
its turn from BEGIN IMMEDIATE to its COMMIT or ROLLBACK, another writer waits for it without polling, and
a read-mostly unit reads without one."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from careloop import db
from careloop.writer_turn import WriterTurnConnection


@pytest.fixture
def sqlite_file(backend: str) -> Path:
    if backend != "sqlite":
        pytest.skip("writer turns order SQLite's single write lock; PostgreSQL has row locks")
    return Path(db.engine().url.database or "")


def _turn_file(database: Path) -> Path:
    return database.with_name(database.name + ".writer-turn")


def _writer_waits_for(release: str) -> None:
    entered = threading.Event()
    finished: list[float] = []

    def second_writer() -> None:
        entered.set()
        with db.unit_of_work() as s:
            s.execute(text("SELECT 1"))
        finished.append(time.monotonic())

    first = db.engine().connect()
    first.begin()
    thread = threading.Thread(target=second_writer)
    thread.start()
    entered.wait()
    time.sleep(0.3)
    assert finished == [], "the second writer began while the first held its turn"
    released_at = time.monotonic()
    getattr(first, release)()
    thread.join(timeout=10)
    first.close()
    assert finished and finished[0] >= released_at


def test_a_writer_waits_for_the_turn_until_the_other_commits(sqlite_file: Path) -> None:
    _writer_waits_for("commit")
    assert _turn_file(sqlite_file).exists()


def test_a_rollback_ends_the_turn_too(sqlite_file: Path) -> None:
    _writer_waits_for("rollback")


def test_a_read_mostly_unit_reads_while_a_writer_holds_the_turn(sqlite_file: Path) -> None:
    with db.engine().connect() as writer:
        writer.begin()
        with db.unit_of_work(read_mostly=True) as s:
            assert s.execute(text("SELECT 1")).scalar_one() == 1
        writer.commit()


def test_a_closed_connection_gives_its_turn_back(sqlite_file: Path) -> None:
    connection = WriterTurnConnection(str(sqlite_file), turn_file=str(_turn_file(sqlite_file)))
    connection.wait_for_turn()
    connection.close()
    with db.unit_of_work() as s:  # would wait for ever if the turn were still held
        s.execute(text("SELECT 1"))
