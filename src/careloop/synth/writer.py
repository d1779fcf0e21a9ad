"""Bulk writes of column frames: executemany on SQLite, COPY on PostgreSQL, primary keys assigned up front.

Writing happens in two steps so they can overlap: `encode` turns a frame into what the driver takes (rows of
Python values for sqlite3, a text buffer for COPY) and needs no connection, so a producer thread can encode
the next chunk while `write_batch` sends this one.

Keys come from `IdAllocator` (the current max(id) of each table plus one, counted on in numpy), so child rows
reference their parents without a round trip. PostgreSQL's sequences are moved past the keys written, so
rows the application inserts later get fresh ids. The seed assumes no one else writes these tables meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, func, select

from careloop.models import Base
from careloop.synth.frames import (
    Frame,
    Kind,
    column_kinds,
    days_of,
    format_dates,
    format_timestamps,
    frame_length,
    null_column,
    null_mask,
    seconds_of,
)

PG_NULL = "\\N"
# 256 MiB of page cache while seeding: the random public_id indexes thrash SQLite's 2 MiB default.
SQLITE_CACHE_KIB = 262_144


@dataclass
class IdAllocator:
    """Hands out consecutive integer keys per table, starting after what the database already holds."""

    next_ids: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_database(cls, conn: Connection, tables: Iterable[str]) -> IdAllocator:
        meta = Base.metadata.tables
        return cls({name: int(conn.scalar(select(func.max(meta[name].c.id))) or 0) + 1 for name in tables})

    def peek(self, table: str) -> int:
        return self.next_ids.setdefault(table, 1)

    def take(self, table: str, n: int) -> NDArray[np.int64]:
        first = self.peek(table)
        self.next_ids[table] = first + n
        return np.arange(first, first + n, dtype=np.int64)


@dataclass(frozen=True)
class Batch:
    """One table's rows, encoded for one backend."""

    table: str
    columns: tuple[str, ...]
    rows: int
    last_id: int  # the highest key in the batch, for moving PostgreSQL's sequence past it
    payload: list[tuple[Any, ...]] | bytes  # sqlite3 parameter rows, or a COPY text buffer


def complete(table: str, frame: Frame) -> Frame:
    """The frame with every column of its table, in table order. A nullable column the generator does not
    know (one added to the schema later, such as a provenance pointer) is written as NULL; a missing
    NOT NULL column, or a column the table lacks, is a bug in the generator."""
    kinds = column_kinds(Base.metadata.tables[table])
    extra = set(frame) - set(kinds)
    missing = [name for name in kinds if name not in frame]
    required = [name for name in missing if not kinds[name][1]]
    if extra or required:
        raise ValueError(f"frame for {table} does not fit its table: missing {required}, unknown {sorted(extra)}")
    n = frame_length(frame)
    return {name: frame[name] if name in frame else null_column(kinds[name][0], n) for name in kinds}


def encode(dialect: str, table: str, frame: Frame) -> Batch:
    frame = complete(table, frame)
    kinds = column_kinds(Base.metadata.tables[table])
    names = tuple(frame)
    rows = frame_length(frame)
    last_id = int(frame["id"].max()) if rows else 0
    if dialect == "sqlite":
        values = [_sqlite_values(frame[name], kinds[name][0]) for name in names]
        return Batch(table, names, rows, last_id, list(zip(*values, strict=True)))
    if dialect == "postgresql":
        values = [_pg_values(frame[name], kinds[name][0]) for name in names]
        text = "\n".join(map("\t".join, zip(*values, strict=True))) + "\n"
        _check_copy_payload(text, rows, len(names))
        return Batch(table, names, rows, last_id, text.encode())
    raise ValueError(f"careloop writes bulk data to SQLite and PostgreSQL only, not {dialect}")


def prepare_connection(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")


def write_batch(conn: Connection, batch: Batch) -> None:
    """Send one encoded batch inside the caller's transaction (through the raw driver cursor)."""
    if not batch.rows:
        return
    names = ", ".join(batch.columns)
    cursor: Any = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if isinstance(batch.payload, bytes):
        with cursor.copy(f"COPY {batch.table} ({names}) FROM STDIN") as copy:
            copy.write(batch.payload)
    else:
        marks = ", ".join("?" for _ in batch.columns)
        # Table and column names come from our own metadata, never from input.
        cursor.executemany(f"INSERT INTO {batch.table} ({names}) VALUES ({marks})", batch.payload)  # noqa: S608
    cursor.close()


def advance_sequences(conn: Connection, last_ids: Mapping[str, int]) -> None:
    """PostgreSQL: move each table's id sequence past the highest key written (SQLite needs nothing: it
    hands out max(rowid) + 1 itself)."""
    if conn.dialect.name != "postgresql":
        return
    for table, last in last_ids.items():
        if last > 0:
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence(%(t)s, 'id'), %(last)s)",
                                 {"t": table, "last": last})


def _with_nulls(values: list[Any], mask: NDArray[np.bool_], null: Any) -> list[Any]:
    if not mask.any():
        return values
    boxed = np.array(values, dtype=object)
    boxed[mask] = null
    return list(boxed)


def _text(column: NDArray[Any], kind: Kind, *, utc_suffix: bool) -> list[Any]:
    """Dates, timestamps and UUIDs as the text each backend stores or parses."""
    if kind == "ts":
        seconds = np.where(np.isnat(column), 0, seconds_of(column))
        return list(format_timestamps(seconds, utc_suffix=utc_suffix).tolist())
    if kind == "date":
        return list(format_dates(np.where(np.isnat(column), 0, days_of(column))).tolist())
    if kind == "json":
        return [json.dumps(value) for value in column]
    return list(column.tolist())


def _sqlite_values(column: NDArray[Any], kind: Kind) -> list[Any]:
    if kind == "bool":
        return list(column.astype(np.int8).tolist())
    return _with_nulls(_text(column, kind, utc_suffix=False), null_mask(column, kind), None)


def _pg_values(column: NDArray[Any], kind: Kind) -> list[str]:
    if kind == "bool":
        return list(np.where(column, "t", "f").tolist())
    text = _text(column, kind, utc_suffix=True)
    if kind in ("int", "float"):
        text = list(map(str, text))
    return _with_nulls(text, null_mask(column, kind), PG_NULL)


def _check_copy_payload(payload: str, rows: int, columns: int) -> None:
    """Generated text never holds tabs, newlines or backslashes (a test checks the word lists); if some did,
    COPY would misread it, so refuse rather than store something else."""
    if payload.count("\n") != rows or payload.count("\t") != rows * (columns - 1) or \
            payload.count("\\") != payload.count(PG_NULL):
        raise ValueError("generated text holds a tab, newline or backslash; COPY would misread it")
