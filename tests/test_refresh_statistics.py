"""db.refresh_statistics gives the planner statistics for careloop's tables (on PostgreSQL, named one by one from its
own schema: a bare ANALYZE reached other schemas' tables and deadlocked against a parallel run's DDL)."""

from __future__ import annotations

from sqlalchemy import text

from careloop import db
from tests.factories import make_patient


def test_careloop_tables_get_statistics(backend: str) -> None:
    with db.unit_of_work() as session:
        make_patient(session)
    with db.engine().begin() as conn:
        db.refresh_statistics(conn)
    with db.engine().connect() as conn:
        if backend == "sqlite":
            analysed = conn.execute(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'patients'")).scalar()
            assert analysed
            return
        last = conn.execute(text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'patients' "
                                 "AND schemaname = current_schema()")).scalar()
    assert last is not None
