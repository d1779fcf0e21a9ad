"""The query planners' statistics: what `ANALYZE` tells SQLite and PostgreSQL about careloop's tables (after a bulk
load, and daily from the worker's `db.refresh_statistics` job)."""

from __future__ import annotations

from sqlalchemy import Connection

STATISTICS_MIN_ROWS = 1000


def refresh_statistics(conn: Connection) -> None:
    """Let the query planners see the data as it is (after a bulk load, and daily from the worker).

    SQLite keeps no statistics until ANALYZE runs, and without them it may answer the worklist from an
    index that reads thousands of rows instead of a few; analysis_limit makes ANALYZE sample each index
    (as the SQLite documentation advises) so this takes seconds, not minutes, at a million patients.
    PostgreSQL's autovacuum does this by itself eventually; after a bulk load we do not wait for it. There a bare
    ANALYZE would take every table of the database, other schemas' too (another deployment's, or a parallel test
    run's, where it deadlocked against that run's CREATE INDEX): only careloop's own schema is analysed, and of it
    only the tables holding at least STATISTICS_MIN_ROWS rows. Statistics that say a table is empty make
    PostgreSQL plan even a primary-key lookup (the foreign-key check of every inserted row) as a scan of it, and a
    long-lived connection keeps that plan while the table fills: a new deployment's worker, analysing its empty
    tables at start, then took 3 ms of server time per ADT message, twice its own (BENCHMARKS.md). A table never
    analysed is planned from its size on disk instead, and autovacuum analyses it as it grows.
    """
    if conn.dialect.name == "sqlite":
        _refresh_sqlite_statistics(conn)
        return
    tables = conn.exec_driver_sql("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() "
                                  "ORDER BY tablename").scalars().all()
    large = [name for name in tables if _holds_many_rows(conn, name)]
    if large:
        conn.exec_driver_sql(f"ANALYZE {', '.join(large)}")


def _refresh_sqlite_statistics(conn: Connection) -> None:
    """The same rule on SQLite: statistics of a table with a handful of rows told the planner to scan it rather than
    seek 64 patients in its index (the pathway engine's read of a batch's stays), and SQLite kept them until the
    next daily ANALYZE while a hospital feed filled the table. A small table's statistics are removed instead, so
    it is planned by SQLite's defaults, which seek the indexes; `ANALYZE sqlite_schema` reloads what is left."""
    conn.exec_driver_sql("PRAGMA analysis_limit=1000")
    names = conn.exec_driver_sql("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                                 "ORDER BY name").scalars().all()
    small = []
    for name in names:
        quoted = conn.dialect.identifier_preparer.quote_identifier(name)
        if _holds_many_rows(conn, quoted):
            conn.exec_driver_sql(f"ANALYZE {quoted}")
        else:
            small.append(name)
    has_statistics = conn.exec_driver_sql("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'").scalar()
    if small and has_statistics:
        conn.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = ?", [(name,) for name in small])
    conn.exec_driver_sql("ANALYZE sqlite_schema")


def _holds_many_rows(conn: Connection, quoted_table: str) -> bool:
    """A count that stops at the threshold: it reads at most that many rows. The name comes quoted by the database."""
    return int(conn.exec_driver_sql(f"SELECT count(*) FROM (SELECT 1 FROM {quoted_table} "  # noqa: S608
                                    f"LIMIT {STATISTICS_MIN_ROWS}) AS sample").scalar_one()) >= STATISTICS_MIN_ROWS
