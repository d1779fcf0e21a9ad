"""SQLite's plan of a statement, for the tests that keep hot statements on their indexes."""

from __future__ import annotations

from typing import Any

from careloop import db


def sqlite_plan(statement: Any) -> str:
    """EXPLAIN QUERY PLAN of a Core statement, its bound values as given (None where it has none), one line."""
    with db.unit_of_work() as session:
        connection = session.connection()
        compiled: Any = statement.compile(dialect=connection.dialect)
        values = compiled.construct_params(_check=False)
        arguments = tuple(values.get(name) for name in compiled.positiontup)
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled.string}", arguments).all()
    return " / ".join(str(row[-1]) for row in rows)
