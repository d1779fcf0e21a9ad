"""The test rig: a real SQLite file or a real PostgreSQL schema (choose with --db or CARELOOP_TEST_DB),
migrated once per run with Alembic, emptied after every test, and personas to act as."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from careloop import db, migrate
from careloop.models import Base
from tests.factories import Personas, make_personas

PG_BASE_URL = os.environ.get("CARELOOP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", default=os.environ.get("CARELOOP_TEST_DB", "sqlite"),
                     choices=["sqlite", "postgresql"], help="database backend for the suite")


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "careloop-test.db"
        yield f"sqlite:///{path}"
        return
    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = db.make_engine(PG_BASE_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_BASE_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def migrated(database_url: str) -> Iterator[str]:
    os.environ["CARELOOP_DATABASE_URL"] = database_url
    from careloop.config import get_settings

    get_settings.cache_clear()
    db.configure(database_url)
    migrate.upgrade()
    yield database_url
    db.engine().dispose()


@pytest.fixture(autouse=True)
def _empty_tables_after_test(migrated: str) -> Iterator[None]:
    yield
    empty_all_tables()


def empty_all_tables() -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    if db.engine().dialect.name == "postgresql":
        _truncate_retrying_deadlocks(tables)
        return
    with db.engine().begin() as conn:
        for name in tables:
            conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 - table names from our metadata


def _truncate_retrying_deadlocks(tables: list[str], attempts: int = 5) -> None:
    """TRUNCATE every table, trying again when PostgreSQL picks it as a deadlock's victim.

    TRUNCATE locks the tables one after another; an autovacuum worker that holds a table's lock
    while it goes on to that table's TOAST relation can close a cycle with it (seen in CI once).
    The victim's transaction is rolled back whole, so trying again is safe.
    """
    statement = text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE")
    for attempt in range(attempts):
        try:
            with db.engine().begin() as conn:
                conn.execute(statement)
            return
        except OperationalError as error:
            if "deadlock detected" not in str(error.orig) or attempt == attempts - 1:
                raise
            time.sleep(0.1 * (attempt + 1))


@pytest.fixture
def session() -> Iterator[Session]:
    """A session for arranging and asserting; tests call commit() where the boundary would."""
    with db.session_factory()() as s:
        yield s


@pytest.fixture
def personas() -> Personas:
    with db.unit_of_work() as s:
        return make_personas(s)


def shared_data_dir() -> Path | None:
    path = Path(__file__).resolve().parents[2] / "shared" / "data"
    return path if path.is_dir() else None


@pytest.fixture
def client() -> Iterator[TestClient]:
    from careloop.app import create_app

    with TestClient(create_app()) as c:
        yield c


BearerFor = Callable[[int], dict[str, str]]


@pytest.fixture
def bearer_for() -> BearerFor:
    """Authorization headers for a user id, through a real API token."""
    from careloop.auth import service as auth
    from careloop.models import User

    def make(user_id: int) -> dict[str, str]:
        with db.unit_of_work() as s:
            user = s.get(User, user_id)
            assert user is not None
            token = auth.create_api_token(s, user, name="test").token
        return {"Authorization": f"Bearer {token}"}

    return make
