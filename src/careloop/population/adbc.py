"""Arrow Database Connectivity to careloop's own database: columnar batches out of SQLite and PostgreSQL
(PostgreSQL through COPY in binary), and Arrow batches back in, without a Python object per row.

Only ever used in a child process (see transfer.py): the SQLite ADBC driver carries its own copy of SQLite,
and two copies of SQLite in one process lose each other's POSIX locks on the same file, which corrupts it
(sqlite.org/howtocorrupt.html, "multiple copies of SQLite linked into the same application").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import make_url

# The page cache of a connection that bulk-writes millions of rows (the write-back), against SQLite's 2 MB
# default: the indexes being appended to stay in memory, a third off a million patients' write-back. Readers
# (the snapshot's sequential scans) gain nothing from it, so they keep the default and the memory.
WRITER_CACHE_KIB = 512 * 1024


def dialect_of(database_url: str) -> str:
    name = make_url(database_url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise ValueError(f"population analytics supports SQLite and PostgreSQL, not {name}")
    return name


def libpq_uri(database_url: str) -> str:
    """The SQLAlchemy URL as libpq takes it (no driver name; query options such as search_path kept)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@contextmanager
def connect(database_url: str, *, bulk_writer: bool = False) -> Iterator[Any]:
    """A DB-API connection of the ADBC driver for this database; the caller commits."""
    if dialect_of(database_url) == "sqlite":
        import adbc_driver_sqlite.dbapi as sqlite_adbc

        path = make_url(database_url).database
        if not path or path == ":memory:":
            raise ValueError("population analytics needs a SQLite file, not an in-memory database")
        conn: Any = sqlite_adbc.connect(path)
        _sqlite_pragmas(conn, cache_kib=WRITER_CACHE_KIB if bulk_writer else None)
    else:
        import adbc_driver_postgresql.dbapi as pg_adbc

        conn = pg_adbc.connect(libpq_uri(database_url))
    try:
        yield conn
    finally:
        conn.close()


def _sqlite_pragmas(conn: Any, *, cache_kib: int | None) -> None:
    # The same waiting behaviour as careloop's own connections (db.py): wait for a writer, do not fail.
    # No foreign_keys pragma: the DB-API connection is already inside a transaction here, where SQLite ignores
    # it (checked: it stays 0). The rows written back carry patient ids read from the same database's snapshot,
    # and patients are superseded, never deleted.
    cursor = conn.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout=30000")
        if cache_kib is not None:
            cursor.execute(f"PRAGMA cache_size=-{cache_kib}")
    finally:
        cursor.close()
