"""db.refresh_statistics gives the planner statistics for careloop's tables (on PostgreSQL, named one by one from its
own schema: a bare ANALYZE reached other schemas' tables and deadlocked against a parallel run's DDL), and on
PostgreSQL leaves the nearly empty ones to autovacuum (statistics of an empty table planned scans that stayed)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, text

from careloop import db
from careloop.models import AuditEvent
from tests.factories import make_patient


def _analyses() -> dict[str, int]:
    """How many times each table was analysed (this schema has lived through the session's earlier tests)."""
    with db.engine().connect() as conn:
        return dict(conn.execute(text("SELECT relname, analyze_count FROM pg_stat_user_tables "
                                      "WHERE schemaname = current_schema()")).tuples().all())


def test_careloop_tables_get_statistics(backend: str) -> None:
    with db.unit_of_work() as session:
        make_patient(session)
        session.execute(insert(AuditEvent), [{"at": datetime.now(UTC), "action": "test.rows", "outcome": "allowed"}]
                        * db.STATISTICS_MIN_ROWS)
    before = _analyses() if backend == "postgresql" else {}
    with db.engine().begin() as conn:
        db.refresh_statistics(conn)
    if backend == "sqlite":
        with db.engine().connect() as conn:
            analysed = conn.execute(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'patients'")).scalar()
        assert analysed
        return
    after = _analyses()
    assert after["audit_events"] == before["audit_events"] + 1
    assert after["patients"] == before["patients"]  # one row: left to autovacuum, planned from its size meanwhile
