"""Rows written without a Core INSERT: the Python-side defaults such an insert would fill in, and PostgreSQL's COPY.

Kept apart from db.py so the group committer (which db.py imports) can use them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Dialect, Table


def python_defaults(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """What a Core insert would fill in for the columns not given: their `default=` values (a textual statement
    applies none). Server-side defaults are left to the database; a SQL-expression default is refused."""
    filled: dict[str, Any] = {}
    for key, scalar, make in _defaults_of(table):
        if key not in values:
            # SQLAlchemy wraps a no-argument callable (uuid4, utcnow) into one that takes the execution context;
            # this statement has none to give, so only such callables are supported.
            filled[key] = make(None) if make is not None else scalar
    return filled


@lru_cache(maxsize=256)
def _defaults_of(table: Table) -> tuple[tuple[str, Any, Any], ...]:
    """(column key, scalar default, callable default) of each column with a Python-side default, found once per
    table: the batch writers fill defaults for thousands of rows."""
    found = []
    for column in table.columns:
        default = column.default
        if default is None:
            continue
        if getattr(default, "is_scalar", False):
            found.append((column.key, default.arg, None))  # type: ignore[attr-defined]
        elif getattr(default, "is_callable", False):
            found.append((column.key, None, default.arg))  # type: ignore[attr-defined]
        else:
            found.append((column.key, None, _refuse(table, column.key)))
    return tuple(found)


def _refuse(table: Table, key: str) -> Any:
    def refuse(_context: Any) -> Any:
        raise TypeError(f"{table.name}.{key} has a SQL default; give its value explicitly")
    return refuse


def copy_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows that name the same columns with PostgreSQL's COPY, in the connection's transaction.

    For the group committer's audit rows: an executemany runs one pipelined INSERT per row, and psycopg's
    handling of each cost the API process about a sixth of a worklist request's interpreter time (25 rows
    a page); COPY streams them as one command, its rows encoded by psycopg's C code. Each value first goes
    through its column type's bind processor, as a Core insert would send it (enums as their values, JSON
    through the dialect's serializer, UTC datetimes checked).
    """
    if not rows:
        return
    filled = [{**python_defaults(table, row), **row} for row in rows]
    keys = tuple(filled[0])
    sql, processors = _copy_plan(table, keys, connection.dialect)
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(sql) as copy:
        for row in filled:
            copy.write_row([row[key] if process is None else process(row[key])
                            for key, process in zip(keys, processors, strict=True)])


@lru_cache(maxsize=64)
def _copy_plan(table: Table, keys: tuple[str, ...], dialect: Dialect) -> tuple[str, tuple[Any, ...]]:
    """The COPY command for these columns and each column's bind processor (None where values pass as they are)."""
    quote = dialect.identifier_preparer
    columns = [table.c[key] for key in keys]
    sql = f"COPY {quote.format_table(table)} ({', '.join(quote.quote(c.name) for c in columns)}) FROM STDIN"
    return sql, tuple(c.type.bind_processor(dialect) for c in columns)
