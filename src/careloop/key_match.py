"""Rows found by a key for a whole batch of keys (a composite one, (system, value) or (facility, visit number), or a
single column such as a batch's patient ids), each key answered by a seek in the key's unique index, with statements
compiled once.

`tuple_(a, b).in_(keys)` reads well, but SQLite plans `(a, b) IN (VALUES ...)` as a scan of the whole table testing
each row against the list, statistics or not: the HL7 feed's patient match read every patient identifier for each
batch of messages (at a million identifiers, 300 to 600 ms a batch). An OR of equalities is answered on SQLite by
one index seek per key (its MULTI-INDEX OR) and on PostgreSQL by a bitmap OR of index scans. Built as SQLAlchemy
expressions per batch, though, a 200-key OR cost more to build, key and compile than the scan did at a few hundred
patients; so the keys go in statements of a few fixed sizes (`db.chunk_sizes`: 64, then powers of two), each
compiled once per size and run on the driver's cursor (driver_reads.py). An OR chain is as deep as it is long:
SQLite refuses depth over 1,000, far above 64.

PostgreSQL takes every key in one statement instead, each part of the keys as one array (`key = ANY(array)`, or
`(a, b) IN (SELECT * FROM unnest(array_a, array_b))`). Its planner planned each 64-way OR afresh at every call,
and against a table whose statistics were older than its growth it chose a scan testing every row against all 64
branches: under a hospital feed those lookups were 38% of the server's time for the worker (7 ms for 64 episode
keys among 5,800 rows). An array is tested by hashing when a scan is chosen, the statement has one shape however
many keys a batch brings, and the planner makes it index probes or a hash join as the table's size says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect, Select, and_, bindparam, or_, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from careloop.db import chunk_sizes
from careloop.driver_reads import DriverRead, Processor
from careloop.driver_writes import BinaryArray, without_length


class KeyLookup:
    """`query` (a SELECT of plain columns, with any fixed conditions of its own) restricted to the rows whose
    `key_columns` equal one of the keys given to `rows`."""

    def __init__(self, query: Select[Any], key_columns: Sequence[InstrumentedAttribute[Any]]) -> None:
        self.query = query
        self.key_columns = tuple(key_columns)
        self._reads: dict[int, DriverRead] = {}
        self._arrays: DriverRead | None = None
        self._processors: list[Processor | None] | None = None

    def rows(self, session: Session, keys: Sequence[Sequence[Any]],
             parameters_of_query: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """The rows of these keys; `parameters_of_query`: the values of the query's own bound parameters, if any."""
        dialect = session.get_bind().dialect
        if dialect.name == "postgresql":
            return self._rows_by_arrays(session, dialect, keys, parameters_of_query) if keys else []
        found: list[tuple[Any, ...]] = []
        start = 0
        for size in chunk_sizes(len(keys)):
            part = keys[start:start + size]
            start += size
            parameters = {f"k{n}_{c}": value for n, key in enumerate(part) for c, value in enumerate(key)}
            if parameters_of_query:
                parameters.update(parameters_of_query)
            found.extend(self._read(size).rows(session, parameters))
        return found

    def _read(self, size: int) -> DriverRead:
        read = self._reads.get(size)
        if read is None:
            read = self._reads[size] = DriverRead(self.query.where(or_(*(
                and_(*(column == bindparam(f"k{n}_{c}") for c, column in enumerate(self.key_columns)))
                for n in range(size)))))
        return read

    def _rows_by_arrays(self, session: Session, dialect: Dialect, keys: Sequence[Sequence[Any]],
                        parameters_of_query: Mapping[str, Any] | None) -> list[tuple[Any, ...]]:
        parameters: dict[str, Any] = dict(parameters_of_query or {})
        for c, (process, values) in enumerate(zip(self._key_processors(dialect), zip(*keys, strict=True),
                                                  strict=True)):
            parameters[f"a{c}"] = BinaryArray(values if process is None else
                                              [None if value is None else process(value) for value in values])
        return self._array_read(dialect).rows(session, parameters)

    def _key_processors(self, dialect: Dialect) -> list[Processor | None]:
        """Each key column's bind processor (an enum's member to its stored value), applied to the arrays' items."""
        if self._processors is None:
            self._processors = [column.type.dialect_impl(dialect).bind_processor(dialect)
                                for column in self.key_columns]
        return self._processors

    def _array_read(self, dialect: Dialect) -> DriverRead:
        """The query restricted to the keys given as arrays, one per key column: the arrays' parameters are plain
        (no type of SQLAlchemy's), so they go to psycopg as they are, in binary (driver_writes.BinaryArray)."""
        if self._arrays is None:
            columns = ", ".join(str(column.expression.compile(dialect=dialect)) for column in self.key_columns)
            arrays = ", ".join(f"CAST(:a{c} AS {without_length(column.type).compile(dialect=dialect)}[])"
                               for c, column in enumerate(self.key_columns))
            # Only the model's column and type names are spliced in; the keys are bound.
            condition = (f"{columns} = ANY({arrays})" if len(self.key_columns) == 1
                         else f"({columns}) IN (SELECT * FROM unnest({arrays}))")  # noqa: S608
            self._arrays = DriverRead(self.query.where(text(condition)))
        return self._arrays
