"""INSERTs and UPDATEs on the database driver's cursor, for the batch writers: one row returning its new id (the
pathway engine's tasks, episodes and readmission links; the feed's new encounters), or many rows in one
executemany (a batch's pending audit, history and outbox rows; the feed's changed encounters).

The same reasons as driver_reads.py: through SQLAlchemy's execution path each such INSERT, and each row of an
executemany, cost several times what SQLite takes to store it (docs/decisions.md, "2026-12-06: the pathway engine
a step at a time"). Unlike a read, a write fires the engine's `before_cursor_execute` listeners, as SQLAlchemy
would: `db` learns from them that the transaction wrote (and a read-mostly unit of work ends its read phase there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Connection, Table, bindparam, insert, update
from sqlalchemy.orm import Session

from careloop.driver_reads import DriverRead, as_sqlalchemy_errors, driver_arguments_many, driver_cursor


class DriverWrite(DriverRead):
    """An INSERT (with or without RETURNING) or an UPDATE, run on the driver's cursor."""

    def row(self, session: Session, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return self.rows(session, values)[0]

    def many(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """All the rows with one executemany (nothing returned)."""
        if not rows:
            return
        connection, plan = self._prepared(session, rows[0])
        arguments = driver_arguments_many(plan, rows)
        cursor = driver_cursor(connection)
        try:
            with as_sqlalchemy_errors(connection, cursor, plan.sql, arguments):
                self._before_execute(connection, cursor, plan.sql, arguments, many=True)
                cursor.executemany(plan.sql, arguments)
        finally:
            cursor.close()

    def _before_execute(self, connection: Connection, cursor: Any, sql: str, arguments: Any, *, many: bool) -> None:
        connection.dispatch.before_cursor_execute(connection, cursor, sql, arguments, None, many)


@lru_cache(maxsize=512)
def driver_insert(table: Table, columns: tuple[str, ...], returning: tuple[Column[Any], ...] = ()) -> DriverWrite:
    """Rows into `table` naming exactly `columns` (fill Python-side defaults first: none are added here),
    returning the `returning` columns of a row inserted alone; built once per shape."""
    values = {name: bindparam(name, type_=table.c[name].type) for name in columns}
    statement = insert(table).values(values)
    return DriverWrite(statement.returning(*returning) if returning else statement)


@lru_cache(maxsize=256)
def driver_update_by_id(table: Table, columns: tuple[str, ...]) -> DriverWrite:
    """UPDATE `table` SET `columns` WHERE id = :_id, the new values named _column; built once per shape. A column
    with an `onupdate=` default is refused unless it is among `columns` (no default is added here)."""
    missing = [c.key for c in table.columns if c.onupdate is not None and c.key not in columns]
    if missing:
        raise TypeError(f"{table.name}: give {', '.join(missing)} (onupdate defaults are not applied here)")
    return DriverWrite(update(table).where(table.c.id == bindparam("_id"))
                       .values({name: bindparam(f"_{name}", type_=table.c[name].type) for name in columns}))
