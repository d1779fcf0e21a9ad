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

BULK_CACHE_KIB = 512 * 1024


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
def connect(database_url: str) -> Iterator[Any]:
    """A DB-API connection of the ADBC driver for this database; the caller commits."""
    if dialect_of(database_url) == "sqlite":
        import adbc_driver_sqlite.dbapi as sqlite_adbc

        path = make_url(database_url).database
        if not path or path == ":memory:":
            raise ValueError("population analytics needs a SQLite file, not an in-memory database")
        conn: Any = sqlite_adbc.connect(path)
        _sqlite_pragmas(conn)
    else:
        import adbc_driver_postgresql.dbapi as pg_adbc

        conn = pg_adbc.connect(libpq_uri(database_url))
    try:
        yield conn
    finally:
        conn.close()


def _sqlite_pragmas(conn: Any) -> None:
    # The same waiting behaviour as careloop's own connections (db.py): wait for a writer, do not fail.
    cursor = conn.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Bulk reads and writes of millions of rows: a page cache of 512 MB instead of SQLite's 2 MB default
        # keeps the indexes being appended to in memory (a third off a million patients' write-back).
        cursor.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    finally:
        cursor.close()
