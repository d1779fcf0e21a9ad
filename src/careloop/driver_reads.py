"""Hot read statements run on the database driver's own cursor, compiled once per backend.

The pages read all day (the patient record, the worklist) issue a handful of small SELECTs each. Measured on
PostgreSQL, SQLAlchemy's execution path (cache key, execution context, expanded IN lists rendered again,
result metadata from the cursor's description) cost about 170 µs of interpreter time per statement on top of
the driver's own 60-120 µs, whatever the statement returned: a fifth of a patient record's CPU for six
statements (docs/decisions.md, "2026-12-06: hot reads on the driver's cursor").

A `DriverRead` keeps the statement written in SQLAlchemy (so it is the same portable, typed SQL on SQLite
and PostgreSQL) and does once, per dialect, what SQLAlchemy does per execution: compile, render the
constant IN lists, process the statement's own bound values, and look up the bind and result type
processors. Each execution is then the driver's execute and fetchall, and the type processors of the
columns that have one. Rows are plain tuples, read by position.

For reads: it runs in the session's connection and transaction (the unit of work has begun it), but fires
no SQLAlchemy execution events, so a statement that writes must not come here (`db` watches writes by those
events); driver_writes.DriverWrite is the one for INSERTs and UPDATEs, and fires them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Connection, Dialect, Insert, Select, TextClause, Update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import TextualSelect

Processor = Callable[[Any], Any]


@dataclass
class _Plan:
    """One statement compiled for one dialect (and one set of values written into its text)."""

    sql: str
    positional_names: tuple[str, ...] | None  # the parameter order for positional drivers (SQLite's qmark)
    static: dict[str, Any]  # the statement's own values (limits, IN list items), processed
    caller_processors: dict[str, Processor | None]  # bind processors of the parameters callers pass
    result_types: list[Any]
    result_processors: list[tuple[int, Processor]] | None = field(default=None)  # from the first description
    # How to build the values from a caller's parameters, worked out once (a batch writer sends thousands of rows):
    # each slot in the order sent is a caller's parameter by name, or (name None) the statement's own value.
    names: tuple[str, ...] = ()
    slots: list[tuple[str | None, Any]] = field(default_factory=list)
    slot_processors: list[tuple[int, Processor]] = field(default_factory=list)
    # Every slot a caller's parameter (no values of the statement's own): the values in one C call, as a tuple.
    getter: Callable[[Mapping[str, Any]], tuple[Any, ...]] | None = None

    def __post_init__(self) -> None:
        self.names = (self.positional_names if self.positional_names is not None
                      else (*self.caller_processors, *self.static))
        self.slots = [(name, None) if name in self.caller_processors else (None, self.static[name])
                      for name in self.names]
        self.slot_processors = [(index, process) for index, (name, _) in enumerate(self.slots)
                                if name is not None and (process := self.caller_processors[name]) is not None]
        if self.names and all(name is not None for name, _ in self.slots):
            only = self.names[0]
            self.getter = itemgetter(*self.names) if len(self.names) > 1 else lambda params: (params[only],)


@dataclass(frozen=True)
class _Parameters:
    """The statement's parameters a caller gives, as compiled for one dialect."""

    compiled: Any
    plain: tuple[str, ...]  # sent as bound values
    literal: tuple[str, ...]  # written into the SQL (literal_execute): one plan per set of values


class DriverRead:
    """A SELECT of plain columns, executed on the driver's cursor (see the module's docstring).

    Its parameters are the statement's bind parameters without a value: plain ones are sent as bound values;
    those marked literal_execute are written into the SQL's text, so each set of their values (a user's id
    and teams, say) is a statement of its own, compiled on first use and kept (up to MAX_PLANS)."""

    MAX_PLANS = 1000

    def __init__(self, statement: Select[Any] | Insert | Update | TextClause | TextualSelect) -> None:
        self.statement = statement
        self._parameters: dict[str, _Parameters] = {}
        self._plans: dict[tuple[Any, ...], _Plan] = {}

    def rows(self, session: Session, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        connection, plan = self._prepared(session, params)
        arguments = driver_arguments(plan, params)
        cursor = driver_cursor(connection)
        try:
            with as_sqlalchemy_errors(connection, cursor, plan.sql, arguments):
                self._before_execute(connection, cursor, plan.sql, arguments, many=False)
                cursor.execute(plan.sql, arguments)
                fetched = cast("list[tuple[Any, ...]]", cursor.fetchall())
                processors = plan.result_processors
                if processors is None:
                    processors = plan.result_processors = _result_processors(plan, connection.dialect,
                                                                             cursor.description)
        finally:
            cursor.close()
        if not processors:
            return fetched
        return [_processed(row, processors) for row in fetched]

    def _prepared(self, session: Session, params: Mapping[str, Any]) -> tuple[Connection, _Plan]:
        if session.autoflush:
            session.flush()  # as session.execute would: the read sees what this unit of work has added
        connection = session.connection()
        dialect = connection.dialect
        parameters = self._parameters.get(dialect.name) or self._parameters_for(dialect)
        key = (dialect.name, *(_hashable(params[name]) for name in parameters.literal))
        return connection, self._plans.get(key) or self._plan(dialect, parameters, key, params)

    def _before_execute(self, connection: Connection, cursor: Any, sql: str, arguments: Any, *, many: bool) -> None:
        """Nothing for a read (see the module's docstring); a statement that writes says so here."""

    def _parameters_for(self, dialect: Dialect) -> _Parameters:
        compiled = self.statement.compile(dialect=_compiling_dialect(dialect))
        wanted = {name: bind for name, bind in compiled.binds.items() if bind.required}
        for name, bind in wanted.items():
            if bind.expanding and not bind.literal_execute:
                raise ValueError(f"{name}: a DriverRead's IN list parameters must be literal_execute (the SQL "
                                 "is fixed once compiled)")
        parameters = _Parameters(compiled, tuple(n for n, b in wanted.items() if not b.literal_execute),
                                 tuple(n for n, b in wanted.items() if b.literal_execute))
        self._parameters[dialect.name] = parameters
        return parameters

    def _plan(self, dialect: Dialect, parameters: _Parameters, key: tuple[Any, ...],
              params: Mapping[str, Any]) -> _Plan:
        compiled = parameters.compiled
        # The constant IN lists and the literal values are written here, once: the plain values do not change
        # the SQL.
        expanded = compiled.construct_expanded_state({**{name: None for name in parameters.plain},
                                                      **{name: params[name] for name in parameters.literal}})

        def processor(name: str) -> Processor | None:
            # The expansion names the processors of the IN lists' items only; the others are the binds' own.
            if name in expanded.processors:
                return cast(Processor, expanded.processors[name])
            bind = compiled.binds[name]
            return cast("Processor | None", bind.type.dialect_impl(dialect).bind_processor(dialect))

        static = {}
        for name, value in expanded.parameters.items():
            if name not in parameters.plain:
                process = processor(name)
                static[name] = process(value) if process is not None and value is not None else value
        plan = _Plan(
            sql=expanded.statement,
            positional_names=tuple(expanded.positiontup or ()) if compiled.positional else None,
            static=static,
            caller_processors={name: processor(name) for name in parameters.plain},
            # A textual statement without columns (an INSERT run with executemany) returns no rows.
            result_types=[column.type for column in getattr(self.statement, "exported_columns", ())],
        )
        if len(self._plans) >= self.MAX_PLANS:
            self._plans.clear()  # bounded: many users' worklists are recompiled, not kept forever
        self._plans[key] = plan
        return plan


def _compiling_dialect(dialect: Dialect) -> Dialect:
    """The dialect to compile for: with psycopg, the same one set to PostgreSQL's own $1, $2 placeholders, for a
    psycopg RawCursor (`driver_cursor`). psycopg's usual cursor converts %(name)s placeholders on every
    execution, and keeps the conversion only for statements under 4 kB and 50 parameters: a batch writer's
    multi-row INSERT paid for it again each time (a tenth of the worker's CPU on PostgreSQL)."""
    if dialect.driver != "psycopg":
        return dialect
    if dialect.name not in _DOLLAR_DIALECTS:
        _DOLLAR_DIALECTS[dialect.name] = type(dialect)(paramstyle="numeric_dollar")  # type: ignore[call-arg]
    return _DOLLAR_DIALECTS[dialect.name]


_DOLLAR_DIALECTS: dict[str, Dialect] = {}


def driver_cursor(connection: Connection) -> Any:
    """A cursor on the connection's driver connection: psycopg's RawCursor (which takes the $n placeholders the
    statements are compiled with), the driver's own cursor otherwise."""
    dbapi_connection = connection.connection
    if connection.dialect.driver == "psycopg":
        import psycopg

        return psycopg.RawCursor(cast("psycopg.Connection[Any]", dbapi_connection.dbapi_connection))
    return dbapi_connection.cursor()


def driver_arguments(plan: _Plan, params: Mapping[str, Any]) -> Any:
    """The values to send, processed as their types say, in the order or with the names the driver wants."""
    if plan.getter is not None and not plan.slot_processors and plan.positional_names is not None:
        return plan.getter(params)
    values = ([params[name] if name is not None else value for name, value in plan.slots] if plan.getter is None
              else list(plan.getter(params)))
    for index, process in plan.slot_processors:
        value = values[index]
        if value is not None:
            values[index] = process(value)
    if plan.positional_names is not None:
        return tuple(values)
    return dict(zip(plan.names, values, strict=True))


@contextmanager
def as_sqlalchemy_errors(connection: Connection, cursor: Any, sql: str, arguments: Any) -> Iterator[None]:
    """A driver error raised as SQLAlchemy's DBAPIError (what callers and the worker's retries expect); a lost
    connection is invalidated, so the pool does not hand it out again."""
    dialect = connection.dialect
    try:
        yield
    except dialect.loaded_dbapi.Error as error:
        invalidated = dialect.is_disconnect(error, connection.connection, cursor)
        if invalidated:
            connection.invalidate(error)
        raise DBAPIError.instance(sql, arguments, error, dialect.loaded_dbapi.Error,
                                  connection_invalidated=invalidated, dialect=dialect) from error


def driver_arguments_many(plan: _Plan, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
    """driver_arguments for each of many rows (an executemany), with the plan's lookups taken once."""
    getter, processors = plan.getter, plan.slot_processors
    if getter is None or plan.positional_names is None:
        return [driver_arguments(plan, row) for row in rows]
    if not processors:
        return [getter(row) for row in rows]
    sent = []
    for row in rows:
        values = list(getter(row))
        for index, process in processors:
            value = values[index]
            if value is not None:
                values[index] = process(value)
        sent.append(values)
    return sent


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list | set | frozenset) else value


def _result_processors(plan: _Plan, dialect: Dialect, description: Any) -> list[tuple[int, Processor]]:
    processors = []
    for index, (type_, column) in enumerate(zip(plan.result_types, description, strict=True)):
        process = type_.dialect_impl(dialect).result_processor(dialect, column[1])
        if process is not None:
            processors.append((index, process))
    return processors


def _processed(row: Sequence[Any], processors: list[tuple[int, Processor]]) -> tuple[Any, ...]:
    values = list(row)
    for index, process in processors:
        values[index] = process(values[index])
    return tuple(values)
