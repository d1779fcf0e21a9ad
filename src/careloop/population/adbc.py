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

# The page cache of a connection that bulk-writes millions of rows (the write-back), against SQLite's 2 MB
# default: the indexes being appended to stay in memory, a third off a million patients' write-back. Readers
# (the snapshot's sequential scans) gain nothing from it, so they keep the default and the memory.
WRITER_CACHE_KIB = 512 * 1024


# The URLs are SQLAlchemy's (CARELOOP_DATABASE_URL), read here without SQLAlchemy: this module runs in the
# transfer children, and importing SQLAlchemy there took most of a child's start (0.8 of 1.5 s), which the
# snapshot waits for.

def dialect_of(database_url: str) -> str:
    """'sqlite' or 'postgresql', from the URL's scheme (a driver suffix such as +psycopg ignored)."""
    scheme, sep, _ = database_url.partition("://")
    name = scheme.split("+", 1)[0]
    if not sep or name not in ("sqlite", "postgresql"):
        raise ValueError(f"population analytics supports SQLite and PostgreSQL, not {name or database_url!r}")
    return name


def sqlite_path(database_url: str) -> str:
    """The file of a SQLite URL: sqlite:///relative/path or sqlite:////absolute/path (query options dropped),
    taken literally, as SQLAlchemy opens it, so both open the same file."""
    rest = database_url.partition("://")[2]
    path = rest.removeprefix("/").partition("?")[0]
    if not path or path == ":memory:":
        raise ValueError("population analytics needs a SQLite file, not an in-memory database")
    return path


def libpq_uri(database_url: str) -> str:
    """The SQLAlchemy URL as libpq takes it: the same URI with no driver name (libpq reads the percent-encoded
    user, password and query options, such as a search_path, as SQLAlchemy writes them)."""
    return "postgresql://" + database_url.partition("://")[2]


@contextmanager
def connect(database_url: str, *, bulk_writer: bool = False) -> Iterator[Any]:
    """A DB-API connection of the ADBC driver for this database; the caller commits."""
    if dialect_of(database_url) == "sqlite":
        import adbc_driver_sqlite.dbapi as sqlite_adbc

        conn: Any = sqlite_adbc.connect(sqlite_path(database_url))
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
            # The bulk writer's commit leaves the log to `checkpoint`, called once the commit is reported.
            cursor.execute("PRAGMA wal_autocheckpoint=0")
    finally:
        cursor.close()


def checkpoint(conn: Any, database_url: str) -> None:
    """SQLite: copy the write-ahead log into the database file now, without waiting for readers (PASSIVE: what
    a reader still uses is copied by a later checkpoint). PostgreSQL: nothing to do."""
    if dialect_of(database_url) != "sqlite":
        return
    cursor = conn.cursor()
    try:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        cursor.fetchall()
    finally:
        cursor.close()
