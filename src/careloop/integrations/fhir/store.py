"""The import's hot path to the database: raw DBAPI writes in the caller's transaction (executemany on
SQLite, COPY on PostgreSQL), primary keys handed out up front so rows can refer to each other without a
round trip, and lookups one query per batch, never per resource (/work/shared/ARCHITECTURE.md rule 9).

SQLAlchemy's ORM would run Python type processing per value and a flush per object; the import writes a
dozen rows per resource, so it speaks to the driver directly and converts values the way SQLAlchemy stores
them (UTCDateTime as naive UTC text on SQLite, Uuid as 32 hex digits), so the ORM reads them back unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, Table
from sqlalchemy.orm import Session

from careloop.clock import utcnow
from careloop.models import Base
from careloop.models.base import UTCDateTime
from careloop.public_ids import new_public_id_hex

IN_CHUNK = 900  # values per IN (...) on SQLite, under its default limit of bound variables


@lru_cache(maxsize=131072)
def sqlite_timestamp(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME storage format; values reaching here are already UTC.
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


@dataclass(frozen=True, slots=True)
class TableSpec:
    name: str
    columns: tuple[str, ...]  # in insert order
    timestamps: tuple[int, ...]  # positions of UTCDateTime columns
    dates: tuple[int, ...]
    constants: dict[str, Any]  # every column -> its constant default (None when it has none)
    factories: tuple[tuple[str, Callable[[], Any]], ...]  # columns whose default is made per row
    has_id: bool
    without_id: TableSpec | None = None  # the same table when the database numbers the rows

    @classmethod
    def of(cls, table: Table) -> TableSpec:
        constants: dict[str, Any] = {}
        factories: list[tuple[str, Callable[[], Any]]] = []
        for column in table.columns:
            default = column.default
            constants[column.name] = None
            if column.name == "public_id":
                factories.append((column.name, new_public_id_hex))
            elif column.name in ("created_at", "updated_at"):
                factories.append((column.name, now_default))
            elif default is not None and getattr(default, "is_scalar", False):
                arg = default.arg  # type: ignore[attr-defined]
                constants[column.name] = arg.value if hasattr(arg, "value") else arg

        def spec(kept: list[Any]) -> TableSpec:
            names = {c.name for c in kept}
            return cls(table.name, tuple(c.name for c in kept),
                       tuple(i for i, c in enumerate(kept) if isinstance(c.type, UTCDateTime)),
                       tuple(i for i, c in enumerate(kept) if isinstance(c.type, Date)),
                       {k: v for k, v in constants.items() if k in names}, tuple(factories), "id" in names)

        full = spec(list(table.columns))
        if "id" not in constants:
            return full
        return replace(full, without_id=spec([c for c in table.columns if c.name != "id"]))


def now_default() -> datetime:
    """Stands for "the time of the run" among a table's defaults: the shaper recognises it and puts the run's
    single time there, so every row of a run agrees; called directly, it is simply now."""
    return utcnow()


class Writer:
    """Bulk writes and per-batch lookups on the session's own connection and transaction."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.dialect = session.get_bind().dialect.name
        self.postgres = self.dialect == "postgresql"
        self._next_ids: dict[str, int] = {}
        self._sequences: dict[str, str] = {}
        self._specs: dict[str, TableSpec] = {}
        self._cursor: Any = None
        self.begin(session, now)

    def begin(self, session: Session, now: datetime) -> None:
        """Bind to the session's transaction (a new one after each commit: the session may hand back another
        pooled connection, and on SQLite it is session.connection() that issues BEGIN IMMEDIATE)."""
        if self._cursor is not None:
            self._cursor.close()
        connection = session.connection()
        self._cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        self._next_ids.clear()
        self.now = now
        if not self.postgres:
            # Random-order index inserts (uuid ids, identifiers, references) thrash SQLite's 2 MiB default page
            # cache; up to 1 GiB for the run (allocated as used, given back when the run ends).
            self._cursor.execute("PRAGMA cache_size=-1048576")

    def analyze(self) -> None:
        """PostgreSQL: refresh the planner's statistics of the store while an import fills it. Left stale (an
        empty table's), the planner finds a batch's 2,000 ids by scanning every resource of the type instead
        of probing the (type, logical id) index, and each batch gets slower than the last. SQLite prefers the
        unique index without statistics."""
        if self.postgres:
            self._cursor.execute("ANALYZE fhir_resources, fhir_tokens, fhir_references")

    def close(self) -> None:
        if self._cursor is None:
            return
        if not self.postgres:  # the connection goes back to the pool: SQLite's default again
            self._cursor.execute("PRAGMA cache_size=-2000")
        self._cursor.close()
        self._cursor = None

    def spec(self, table: str) -> TableSpec:
        found = self._specs.get(table)
        if found is None:
            found = self._specs[table] = TableSpec.of(Base.metadata.tables[table])
        return found

    # -- keys ----------------------------------------------------------------------------------------------

    def ids(self, table: str, count: int) -> list[int]:
        """`count` fresh primary keys. PostgreSQL: from the table's sequence. SQLite: max(id) + 1 onwards; we
        hold its write lock for the whole transaction, so counting on is safe until commit (begin reads
        max(id) again after)."""
        if count == 0:
            return []
        if self.postgres:
            sequence = self._sequences.get(table)
            if sequence is None:
                self._cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,))
                sequence = self._sequences[table] = str(self._cursor.fetchone()[0])
            self._cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", (sequence, count))
            return [int(row[0]) for row in self._cursor.fetchall()]
        first = self._next_ids.get(table)
        if first is None:
            self._cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")  # noqa: S608 - our table names
            first = int(self._cursor.fetchone()[0])
        self._next_ids[table] = first + count
        return list(range(first, first + count))

    # -- writes --------------------------------------------------------------------------------------------

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Rows already in the stored form of each value (see `convert`)."""
        if not rows:
            return
        names = ", ".join(columns)
        if self.postgres:
            with self._cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" * len(columns))
        self._cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608

    def insert_ignoring(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                        conflict: Sequence[str]) -> None:
        """INSERT ... ON CONFLICT DO NOTHING, for rows another record may already hold (an identifier)."""
        if not rows:
            return
        names, target = ", ".join(columns), ", ".join(conflict)
        marks = ", ".join([self._mark] * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({target}) DO NOTHING"  # noqa: S608
        self._cursor.executemany(sql, rows)

    def update(self, table: str, columns: Sequence[str], rows: list[list[Any]], key: str = "id") -> None:
        """UPDATE table SET columns... WHERE key = the last value of each row."""
        if not rows:
            return
        assignments = ", ".join(f"{name} = {self._mark}" for name in columns)
        self._cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {key} = {self._mark}", rows)  # noqa: S608

    def delete(self, table: str, column: str, values: Iterable[int]) -> None:
        for chunk in _chunks(list(values)):
            clause, params = self.in_clause(column, chunk)
            self._cursor.execute(f"DELETE FROM {table} WHERE {clause}", params)  # noqa: S608

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run `sql` written with ? placeholders on either backend; the rows it returns, if any."""
        self._cursor.execute(sql.replace("?", "%s") if self.postgres else sql, params)
        return list(self._cursor.fetchall()) if self._cursor.description else []

    def executemany(self, sql: str, rows: list[list[Any]]) -> None:
        if rows:
            self._cursor.executemany(sql.replace("?", "%s") if self.postgres else sql, rows)

    @property
    def _mark(self) -> str:
        return "%s" if self.postgres else "?"

    def in_clause(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        if self.postgres:
            return f"{column} = ANY(%s)", [list(values)]
        return f"{column} IN ({', '.join('?' * len(values))})", list(values)

    def select_in(self, sql: str, column: str, values: Sequence[Any], params: Sequence[Any] = ()) -> list[
            tuple[Any, ...]]:
        """`sql` ends with WHERE ... AND; the IN (...) on `column` is added per chunk of values."""
        found: list[tuple[Any, ...]] = []
        for chunk in _chunks(list(values)):
            clause, in_params = self.in_clause(column, chunk)
            text = sql + " " + clause
            self._cursor.execute(text.replace("?", "%s") if self.postgres else text, [*params, *in_params])
            found.extend(self._cursor.fetchall())
        return found

    # -- values --------------------------------------------------------------------------------------------

    def convert(self, spec: TableSpec, row: list[Any]) -> list[Any]:
        """Python values -> what the driver stores for them (in place)."""
        if self.postgres:
            return row  # psycopg adapts datetime, date and str (uuid hex) itself
        for position in spec.timestamps:
            value = row[position]
            if value is not None:
                row[position] = sqlite_timestamp(value)
        for position in spec.dates:
            value = row[position]
            if value is not None and isinstance(value, date):
                row[position] = value.isoformat()
        return row

    def convert_some(self, spec: TableSpec, columns: Sequence[str], row: list[Any]) -> list[Any]:
        """Like `convert`, for a row of some of the table's columns (an UPDATE)."""
        if self.postgres:
            return row
        for index, name in enumerate(columns):
            position = spec.columns.index(name)
            value = row[index]
            if value is None:
                continue
            if position in spec.timestamps:
                row[index] = sqlite_timestamp(value)
            elif position in spec.dates:
                row[index] = value.isoformat()
        return row

    def timestamp(self, value: datetime | None) -> Any:
        if value is None or self.postgres:
            return value
        return sqlite_timestamp(value)


def _chunks(values: list[Any], size: int = IN_CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


