"""INSERT ... RETURNING on the database driver's cursor, for batch writers that insert row by row and need each
new row's id (the pathway engine's tasks, episodes and readmission links; the feed's new encounters).

The same reasons as driver_reads.py: through SQLAlchemy's execution path each such INSERT cost several times
what SQLite takes to run it (docs/decisions.md, "2026-12-06: the pathway engine a step at a time"). Unlike a
read, a write fires the engine's `before_cursor_execute` listeners, as SQLAlchemy would: `db` learns from them
that the transaction wrote (and a read-mostly unit of work ends its read phase there).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Connection, Table, bindparam, insert
from sqlalchemy.orm import Session

from careloop.driver_reads import DriverRead


class DriverInsert(DriverRead):
    """One row into `table` naming exactly `columns` (fill Python-side defaults first: none are added here),
    returning the `returning` columns."""

    def __init__(self, table: Table, columns: tuple[str, ...], returning: tuple[Column[Any], ...]) -> None:
        values = {name: bindparam(name, type_=table.c[name].type) for name in columns}
        super().__init__(insert(table).values(values).returning(*returning))

    def row(self, session: Session, values: dict[str, Any]) -> tuple[Any, ...]:
        return self.rows(session, values)[0]

    def _before_execute(self, connection: Connection, cursor: Any, sql: str, arguments: Any) -> None:
        connection.dispatch.before_cursor_execute(connection, cursor, sql, arguments, None, False)


@lru_cache(maxsize=256)
def insert_returning(table: Table, columns: tuple[str, ...], returning: tuple[Column[Any], ...]) -> DriverInsert:
    """The DriverInsert for this table, set of columns and RETURNING, built once."""
    return DriverInsert(table, columns, returning)
