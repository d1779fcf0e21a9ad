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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from careloop.db import chunk_sizes
from careloop.driver_reads import DriverRead


class KeyLookup:
    """`query` (a SELECT of plain columns, with any fixed conditions of its own) restricted to the rows whose
    `key_columns` equal one of the keys given to `rows`."""

    def __init__(self, query: Select[Any], key_columns: Sequence[InstrumentedAttribute[Any]]) -> None:
        self.query = query
        self.key_columns = tuple(key_columns)
        self._reads: dict[int, DriverRead] = {}

    def rows(self, session: Session, keys: Sequence[Sequence[Any]],
             parameters_of_query: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """The rows of these keys; `parameters_of_query`: the values of the query's own bound parameters, if any."""
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
