"""planner_statistics.refresh_statistics gives the planner statistics for careloop's tables (on PostgreSQL, named
one by one from its own schema: a bare ANALYZE reached other schemas' tables and deadlocked against a parallel run's
DDL), and on both backends leaves the nearly empty ones without (statistics of an empty table planned scans that
stayed)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, text

from careloop import db, planner_statistics
from careloop.models import AuditEvent
from careloop.transitions import repository
from tests.factories import make_patient
from tests.query_plans import sqlite_plan


def _analyses() -> dict[str, int]:
    """How many times each table was analysed (this schema has lived through the session's earlier tests)."""
    with db.engine().connect() as conn:
        return dict(conn.execute(text("SELECT relname, analyze_count FROM pg_stat_user_tables "
                                      "WHERE schemaname = current_schema()")).tuples().all())


def test_careloop_tables_get_statistics(backend: str) -> None:
    with db.unit_of_work() as session:
        make_patient(session)
        session.execute(insert(AuditEvent), [{"at": datetime.now(UTC), "action": "test.rows", "outcome": "allowed"}]
                        * planner_statistics.STATISTICS_MIN_ROWS)
    before = _analyses() if backend == "postgresql" else {}
    with db.engine().begin() as conn:
        planner_statistics.refresh_statistics(conn)
    if backend == "sqlite":
        assert "audit_events" in _sqlite_analysed()
        assert "patients" not in _sqlite_analysed()  # a handful of rows: planned by SQLite's defaults
        return
    after = _analyses()
    assert after["audit_events"] == before["audit_events"] + 1
    assert after["patients"] == before["patients"]  # one row: left to autovacuum, planned from its size meanwhile


def _sqlite_analysed() -> set[str]:
    with db.engine().connect() as conn:
        return set(conn.execute(text("SELECT DISTINCT tbl FROM sqlite_stat1")).scalars())


def test_sqlite_forgets_the_statistics_of_a_table_analysed_while_small(backend: str) -> None:
    """A small table analysed once (by SQLite's own ANALYZE, or an older careloop) loses those statistics at the
    next refresh, and the planner seeks the per-patient index again for a batch's stays."""
    if backend != "sqlite":
        return
    with db.unit_of_work() as session:
        make_patient(session)
    with db.engine().begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    assert "patients" in _sqlite_analysed()
    with db.engine().begin() as conn:
        planner_statistics.refresh_statistics(conn)
    assert "patients" not in _sqlite_analysed()
    assert "ix_encounters_patient_id_class_code_period_end" in sqlite_plan(
        repository._INPATIENT_STAYS._read(64).statement)
