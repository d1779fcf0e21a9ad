"""Pooled PostgreSQL connections are tested before use when they sat idle (careloop.db
_ping_connections_that_were_idle): one the server dropped meanwhile is replaced, not handed to a request."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from careloop import db


@pytest.fixture
def postgresql_engine(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the idle ping is PostgreSQL's; SQLite has no server to drop a connection")


def _backend_pid() -> int:
    with db.engine().connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pid: int) -> None:
    admin = db.make_engine(db.engine().url.render_as_string(hide_password=False), pool_size=1, max_overflow=0)
    try:
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    finally:
        admin.dispose()


@pytest.mark.usefixtures("postgresql_engine")
def test_a_connection_dropped_while_idle_is_replaced_before_use(monkeypatch: pytest.MonkeyPatch) -> None:
    db.engine().dispose()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    dropped = _backend_pid()
    _terminate(dropped)
    assert _backend_pid() != dropped


@pytest.mark.usefixtures("postgresql_engine")
def test_a_connection_used_moments_ago_is_not_pinged(monkeypatch: pytest.MonkeyPatch) -> None:
    db.engine().dispose()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)
    pings: list[object] = []
    monkeypatch.setattr(db.engine().dialect, "do_ping", lambda connection: pings.append(connection) or True)
    first = _backend_pid()
    assert _backend_pid() == first
    assert pings == []
