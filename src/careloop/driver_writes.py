"""INSERTs and UPDATEs on the database driver's cursor, for the batch writers: one row returning its new id (the
pathway engine's tasks, episodes and readmission links; the feed's new encounters), or many rows in one
executemany (a batch's pending audit, history and outbox rows; the feed's changed encounters).

On PostgreSQL, many rows go as one statement that takes each column as an array (`INSERT ... SELECT * FROM
unnest(...)`, `UPDATE ... FROM unnest(...)`): an executemany there is one execution a row on the server, each with
its own protocol messages and plan run, and it cost the worker and the server more than the rows' work did
(docs/decisions.md, "2026-12-06 (evening)"). SQLite's executemany is already one prepared statement stepped a row
at a time in C.

The same reasons as driver_reads.py: through SQLAlchemy's execution path each such INSERT, and each row of an
executemany, cost several times what SQLite takes to store it (docs/decisions.md, "2026-12-06: the pathway engine
a step at a time"). Unlike a read, a write fires the engine's `before_cursor_execute` listeners, as SQLAlchemy
would: `db` learns from them that the transaction wrote (and a read-mostly unit of work ends its read phase there).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, Connection, String, Table, TextClause, bindparam, insert, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from careloop.driver_reads import (
    DriverRead,
    as_sqlalchemy_errors,
    driver_arguments,
    driver_arguments_many,
    driver_cursor,
)


class DriverWrite(DriverRead):
    """An INSERT (with or without RETURNING) or an UPDATE, run on the driver's cursor. `from_arrays` builds the same
    write taking each parameter as an array of the rows' values (named as the rows name them), for PostgreSQL."""

    def __init__(self, statement: Any, *, from_arrays: Callable[[], TextClause] | None = None) -> None:
        super().__init__(statement)
        self._from_arrays = from_arrays
        self._arrays: DriverWrite | None = None

    def row(self, session: Session, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return self.rows(session, values)[0]

    def many(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """All the rows (nothing returned): one executemany, or on PostgreSQL one statement over arrays."""
        if not rows:
            return
        connection, plan = self._prepared(session, rows[0])
        if len(rows) > 1 and self._from_arrays is not None and connection.dialect.name == "postgresql":
            self._arrays_write().once(session, _columns_of(plan.names, rows), arrays=True)
            return
        self._run(connection, plan.sql, driver_arguments_many(plan, rows), many=True)

    def once(self, session: Session, values: Mapping[str, Any], *, arrays: bool = False) -> None:
        """One execution, nothing fetched; `arrays`: the values that are lists go as PostgreSQL arrays in binary."""
        connection, plan = self._prepared(session, values)
        arguments = driver_arguments(plan, values)
        if arrays:
            arguments = tuple(BinaryArray(value) if type(value) is list else value for value in arguments)
        self._run(connection, plan.sql, arguments, many=False)

    def _run(self, connection: Connection, sql: str, arguments: Any, *, many: bool) -> None:
        cursor = driver_cursor(connection)
        try:
            with as_sqlalchemy_errors(connection, cursor, sql, arguments):
                self._before_execute(connection, cursor, sql, arguments, many=many)
                if many:
                    cursor.executemany(sql, arguments)
                else:
                    cursor.execute(sql, arguments)
        finally:
            cursor.close()

    def _arrays_write(self) -> DriverWrite:
        if self._arrays is None:
            assert self._from_arrays is not None
            self._arrays = DriverWrite(self._from_arrays())
        return self._arrays

    def _before_execute(self, connection: Connection, cursor: Any, sql: str, arguments: Any, *, many: bool) -> None:
        connection.dispatch.before_cursor_execute(connection, cursor, sql, arguments, None, many)


class BinaryArray(list[Any]):
    """A list psycopg sends as an array in its binary format. Its text format escapes each element with regular
    expressions, in Python: for a batch's arrays that cost more than the executemany they replace."""


def _send_in_binary() -> None:
    try:
        import psycopg
        from psycopg.types.array import ListBinaryDumper
    except ImportError:  # SQLite only: nothing to register
        return
    psycopg.adapters.register_dumper(BinaryArray, ListBinaryDumper)


_send_in_binary()


def _columns_of(names: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The rows' values by parameter: each parameter's values as a list, in the rows' order."""
    if len(names) == 1:
        only = names[0]
        return {only: [row[only] for row in rows]}
    return dict(zip(names, map(list, zip(*map(itemgetter(*names), rows), strict=True)), strict=True))


@lru_cache(maxsize=512)
def driver_insert(table: Table, columns: tuple[str, ...], returning: tuple[Column[Any], ...] = ()) -> DriverWrite:
    """Rows into `table` naming exactly `columns` (fill Python-side defaults first: none are added here),
    returning the `returning` columns of a row inserted alone; built once per shape."""
    values = {name: bindparam(name, type_=table.c[name].type) for name in columns}
    statement = insert(table).values(values)
    if returning:
        return DriverWrite(statement.returning(*returning))
    return DriverWrite(statement, from_arrays=lambda: _insert_from_arrays(table, columns))


@lru_cache(maxsize=256)
def driver_update_by_id(table: Table, columns: tuple[str, ...]) -> DriverWrite:
    """UPDATE `table` SET `columns` WHERE id = :_id, the new values named _column; built once per shape. A column
    with an `onupdate=` default is refused unless it is among `columns` (no default is added here)."""
    missing = [c.key for c in table.columns if c.onupdate is not None and c.key not in columns]
    if missing:
        raise TypeError(f"{table.name}: give {', '.join(missing)} (onupdate defaults are not applied here)")
    return driver_update_by(table, "id", columns)


@lru_cache(maxsize=256)
def driver_update_by(table: Table, key: str, columns: tuple[str, ...]) -> DriverWrite:
    """UPDATE `table` SET `columns` WHERE `key` = :_key, the values named _column (the key's too)."""
    statement = (update(table).where(table.c[key] == bindparam(f"_{key}", type_=table.c[key].type))
                 .values({name: bindparam(f"_{name}", type_=table.c[name].type) for name in columns}))
    return DriverWrite(statement, from_arrays=lambda: _update_from_arrays(table, key, columns))


def _insert_from_arrays(table: Table, columns: tuple[str, ...], conflict_columns: tuple[str, ...] = ()) -> TextClause:
    """INSERT INTO table (columns) SELECT * FROM unnest(:column, ...) [ON CONFLICT (...) DO NOTHING]: rows in the
    arrays' order, so ids taken from the table's sequence follow it."""
    arrays = ", ".join(f":{name}" for name in columns)
    sql = insert_sql(table, columns, f"SELECT * FROM unnest({arrays})", conflict_columns)  # noqa: S608
    return text(sql).bindparams(*(_array_of(table, name, name) for name in columns))


def insert_sql(table: Table, columns: tuple[str, ...], rows: str, conflict_columns: tuple[str, ...] = ()) -> str:
    """INSERT INTO table (columns) `rows` (a VALUES list or a SELECT), with ON CONFLICT (conflict_columns) DO
    NOTHING if any are named. Only identifiers from the table's metadata are spliced in; every value is bound."""
    sql = f"INSERT INTO {_quoted(table.name)} ({quoted_names(table, columns)}) {rows}"
    if conflict_columns:
        sql += f" ON CONFLICT ({quoted_names(table, conflict_columns)}) DO NOTHING"
    return sql


def conflict_ignoring_insert_each(table: Table, columns: tuple[str, ...], conflict_columns: tuple[str, ...],
                                  sql: str) -> DriverWrite:
    """`sql` (one row's INSERT ... ON CONFLICT DO NOTHING, its parameters named as the columns) for an
    executemany; on PostgreSQL, many rows over arrays."""
    typed = [bindparam(name, type_=table.c[name].type) for name in columns]
    return DriverWrite(text(sql).bindparams(*typed),
                       from_arrays=lambda: _insert_from_arrays(table, columns, conflict_columns))


def _update_from_arrays(table: Table, key: str, columns: tuple[str, ...]) -> TextClause:
    """UPDATE table SET column = v.column ... FROM unnest(:_key, :_column ...) AS v WHERE table.key = v.key."""
    named = (key, *columns)
    aliases = ", ".join(_quoted(f"_{name}") for name in named)
    sets = ", ".join(f"{_quoted(table.c[name].name)} = v.{_quoted(f'_{name}')}" for name in columns)
    sql = (f"UPDATE {_quoted(table.name)} SET {sets} "  # noqa: S608
           f"FROM unnest({', '.join(f':_{name}' for name in named)}) AS v({aliases}) "
           f"WHERE {_quoted(table.name)}.{_quoted(table.c[key].name)} = v.{_quoted(f'_{key}')}")
    return text(sql).bindparams(*(_array_of(table, name, f"_{name}") for name in named))


def _array_of(table: Table, column: str, parameter: str) -> Any:
    return bindparam(parameter, type_=ARRAY(without_length(table.c[column].type)))


def without_length(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    """A string type cast without its length: casting to VARCHAR(n) cuts a longer value short without a word,
    where inserting it into the column refuses it."""
    if isinstance(type_, String) and type_.length is not None:
        shorn = copy.copy(type_)
        shorn.length = None
        return shorn
    return type_


def quoted_names(table: Table, keys: tuple[str, ...]) -> str:
    """The columns' names, each quoted (`_quoted`), separated by commas."""
    return ", ".join(_quoted(table.c[key].name) for key in keys)


def _quoted(identifier: str) -> str:
    """Always double-quoted, which both backends read the same way (a word reserved in one is safe in both)."""
    return '"' + identifier.replace('"', '""') + '"'

