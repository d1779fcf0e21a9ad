"""The store's floor on SQLite: how fast SQLite alone takes the rows a FHIR import wrote, with no Python work at all
between them (no reading, parsing, checking, mapping or indexing; the finished rows handed to executemany).

No import into this schema can be faster than its floor, whatever its code does: the floor is SQLite writing the
rows and index entries the import must leave behind (the resources, their JSON, the search index, careloop's own
rows), on the same connection settings the import uses (WAL, synchronous=NORMAL, foreign keys on, a 1 GiB page
cache), committing as often as the import does (every COMMIT_EVERY resources' worth of rows: one commit at the end
costs more, as the whole run's pages then go through the WAL at once). Two floors are measured: every row the
import wrote, and only the resources with their JSON (what any import that keeps the original resource and knows it
again next time must write, with nothing mapped and nothing indexed for search).
"""

from __future__ import annotations

import resource
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from careloop.integrations.fhir.importer import COMMIT_EVERY
from careloop.models import Base

JSON_ONLY = ("fhir_resources", "fhir_resource_versions")


@dataclass(frozen=True)
class Floor:
    tables: tuple[str, ...]
    rows: int
    seconds: float  # wall, executemany and commit
    cpu_seconds: float  # this process (SQLite runs in it)


def row_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608 - our tables
                for name in _tables(connection)}


def measure_floors(source: Path, before: dict[str, int], resources: int) -> tuple[Floor, Floor]:
    """(every table the import added rows to, only the resources and their JSON), each written into a new
    database with `source`'s schema. `before`: `row_counts` taken before the import of `resources` resources."""
    after = row_counts(source)
    written = tuple(name for name in _in_parent_order(after) if after[name] > before.get(name, 0))
    return (_floor(source, written, resources),
            _floor(source, tuple(name for name in written if name in JSON_ONLY), resources))


def _floor(source: Path, timed: tuple[str, ...], resources: int) -> Floor:
    with tempfile.TemporaryDirectory(prefix="careloop-floor-") as folder:
        target = sqlite3.connect(Path(folder) / "floor.db", isolation_level=None)
        try:
            reader = sqlite3.connect(source)
            _copy_schema(reader, target)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "cache_size=-1048576"):
                target.execute(f"PRAGMA {pragma}")
            # The rows the timed tables refer to (users, seeded reference data), first and untimed.
            _copy(reader, target, [n for n in _in_parent_order(row_counts(source)) if n not in timed])
            loaded = {name: reader.execute(f'SELECT * FROM "{name}"').fetchall() for name in timed}  # noqa: S608
            reader.close()
            rows = sum(len(table_rows) for table_rows in loaded.values())
            commit_every = max(1, rows * COMMIT_EVERY // max(resources, 1))
            started, cpu_started = time.perf_counter(), _cpu()
            _write(target, timed, loaded, commit_every)
            seconds, cpu = time.perf_counter() - started, _cpu() - cpu_started
        finally:
            target.close()
    return Floor(timed, rows, seconds, cpu)


def _write(target: sqlite3.Connection, timed: tuple[str, ...], loaded: dict[str, list[Any]], commit_every: int,
           chunk: int = 10_000) -> None:
    target.execute("BEGIN IMMEDIATE")
    since_commit = 0
    for name in timed:
        rows = loaded[name]
        for start in range(0, len(rows), chunk):
            part = rows[start:start + chunk]
            _insert(target, name, part)
            since_commit += len(part)
            if since_commit >= commit_every:
                target.execute("COMMIT")
                target.execute("BEGIN IMMEDIATE")
                since_commit = 0
    target.execute("COMMIT")


def _copy_schema(reader: sqlite3.Connection, target: sqlite3.Connection) -> None:
    statements = reader.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
                                "ORDER BY type = 'table' DESC, type = 'index' DESC").fetchall()
    for (sql,) in statements:
        target.execute(sql)


def _copy(reader: sqlite3.Connection, target: sqlite3.Connection, names: list[str]) -> None:
    target.execute("BEGIN")
    for name in names:
        _insert(target, name, reader.execute(f'SELECT * FROM "{name}"').fetchall())  # noqa: S608 - our tables
    target.execute("COMMIT")


def _insert(target: sqlite3.Connection, name: str, rows: list[Any]) -> None:
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        target.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)  # noqa: S608 - our tables


def _tables(connection: sqlite3.Connection) -> list[str]:
    return [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]


def _in_parent_order(names: dict[str, int]) -> list[str]:
    """Parents before children (as the import writes them), then tables careloop's models do not name."""
    ordered = [table.name for table in Base.metadata.sorted_tables if table.name in names]
    return ordered + sorted(set(names) - set(ordered))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))

