"""A long-running SQLite writer accounts for its writer turns (writer_turn.turn_totals) and logs its share of the
database's one writer (turn_report.py): an operator sees a deployment at its write capacity."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from careloop import db
from careloop.turn_report import TOTALS_PREFIX, TurnReporter, TurnShare
from careloop.writer_turn import TurnTotals, turn_totals


@pytest.fixture
def sqlite_file(backend: str, tmp_path: Path, migrated: str) -> Iterator[str]:
    if backend != "sqlite":
        pytest.skip("writer turns order SQLite's single write lock")
    db.configure(f"sqlite:///{tmp_path / 'turns.db'}")
    yield str(tmp_path / "turns.db")
    db.configure(migrated)


def test_a_turn_is_counted_with_the_seconds_it_was_held_and_waited_for(sqlite_file: str) -> None:
    before = turn_totals()
    holding = threading.Event()

    def holder() -> None:
        with db.unit_of_work() as session:
            session.execute(text("SELECT 1"))
            holding.set()
            time.sleep(0.2)

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(5)
    with db.unit_of_work() as session:  # waits for the holder's turn to end
        session.execute(text("SELECT 1"))
    thread.join()
    used = turn_totals().since(before)
    assert used.turns == 2
    assert used.held >= 0.2  # the holder's sleep was inside its turn
    assert used.waited >= 0.1  # the second writer waited for most of it


def test_a_read_mostly_unit_takes_no_turn(sqlite_file: str) -> None:
    before = turn_totals()
    with db.unit_of_work(read_mostly=True) as session:
        session.execute(text("SELECT 1"))
    assert turn_totals().since(before).turns == 0


def test_a_minute_spent_holding_or_waiting_for_the_turn_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    reporter = TurnReporter()
    with caplog.at_level(logging.INFO, logger="careloop.db"):
        reporter.report(TurnShare(60.0, TurnTotals(turns=4000, waited=10.0, held=45.0)))
        reporter.report(TurnShare(60.0, TurnTotals(turns=900, waited=3.0, held=20.0)))
        reporter.report(TurnShare(60.0, TurnTotals()))  # a minute without writes says nothing
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]
    assert "held 45.0 s (75%), waited 10.0 s (17%) in 60 s, 4,000 turns" in caplog.records[0].getMessage()
    assert "bounds it" in caplog.records[0].getMessage()


def test_a_long_running_writer_logs_its_totals_when_it_stops(sqlite_file: str,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    db.long_running_writer()
    with db.unit_of_work() as session:
        session.execute(text("SELECT 1"))
    with caplog.at_level(logging.INFO, logger="careloop.db"):
        db.configure(f"sqlite:///{sqlite_file}")  # a process pointed elsewhere stops its reporter
    totals = [r.getMessage() for r in caplog.records if TOTALS_PREFIX in r.getMessage()]
    assert len(totals) == 1 and totals[0].endswith(", 1 turn"), totals


def test_nothing_is_reported_on_postgresql(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the PostgreSQL run's check")
    db.long_running_writer()
    assert db._turn_reporter is None
