"""Engine and session factory, SQLite pragmas, and the unit of work that owns the commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from careloop.config import get_settings


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = url or get_settings().database_url
    if is_sqlite(url):
        return _sqlite_engine(url, **kwargs)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # The driver's implicit transactions would start a write lock late; we begin explicitly instead,
        # so a writer takes the lock at BEGIN IMMEDIATE and waits (busy_timeout) rather than failing mid-way.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # Nearly every request writes (the audit trail), so take the write lock up front: a deferred
        # transaction that reads and then writes can fail with "database is locked" instead of waiting.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


_engine: Engine | None = None
_factory: sessionmaker[Session] | None = None


def configure(url: str | None = None) -> Engine:
    """Point the process at a database; called by every entry point and by the tests."""
    global _engine, _factory
    if _engine is not None:
        _engine.dispose()
    _engine = make_engine(url)
    _factory = sessionmaker(bind=_engine, expire_on_commit=False)
    return _engine


def engine() -> Engine:
    if _engine is None:
        configure()
    assert _engine is not None
    return _engine


def session_factory() -> sessionmaker[Session]:
    if _factory is None:
        configure()
    assert _factory is not None
    return _factory


AfterRollback = Callable[[Session], None]


def after_rollback(session: Session, action: AfterRollback) -> None:
    """Register work that must be saved even if this unit of work rolls back (e.g. an access refusal)."""
    session.info.setdefault("after_rollback", []).append(action)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """The boundary: commit if the block finishes, roll back if it raises. Services only flush."""
    session = session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        _run_after_rollback(session)
        raise
    finally:
        session.close()


def _run_after_rollback(session: Session) -> None:
    actions: list[AfterRollback] = session.info.pop("after_rollback", [])
    if not actions:
        return
    with session_factory()() as fresh, fresh.begin():
        for action in actions:
            action(fresh)


def insert_ignoring_conflict(session: Session, model: type[Any], values: dict[str, Any], *,
                             conflict_columns: list[str]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING on either backend; returns whether the row was added.

    For idempotent writes that may race (a job key, a schedule name, a notification's dedupe key): the
    loser's insert quietly does nothing instead of failing the whole transaction.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    # RETURNING rather than rowcount: through a Session, drivers report rowcount -1 for some inserts.
    statement = (insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
                 .returning(table.c[conflict_columns[0]]))
    return session.execute(statement).first() is not None
