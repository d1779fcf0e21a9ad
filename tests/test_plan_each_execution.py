"""The worker's statements are planned at each execution on PostgreSQL (careloop.db.plan_each_execution): a generic
plan cached while a table was small stayed a scan of it as it grew (64 ms a batch at 5,000 readmission links)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event

from careloop import db

# A batch read as the worker's are: its ids in one array parameter.
BATCH_READ = "SELECT id FROM jobs WHERE id = ANY(%(ids)s)"


@pytest.fixture
def postgresql_engine(backend: str) -> Iterator[Engine]:
    if backend != "postgresql":
        pytest.skip("plan_cache_mode is PostgreSQL's; SQLite prepares each statement with its own values")
    yield db.engine()
    if event.contains(db.engine(), "connect", db._with_custom_plans):
        event.remove(db.engine(), "connect", db._with_custom_plans)
    db.engine().dispose()


def _plans_used(engine: Engine, executions: int) -> tuple[int, int]:
    """(generic, custom) plans PostgreSQL used for the batch read run `executions` times on one connection (psycopg
    prepares it on the server from its fifth run)."""
    with engine.connect() as conn:
        for _ in range(executions):
            conn.exec_driver_sql(BATCH_READ, {"ids": [1, 2, 3]}).all()
        generic, custom = conn.exec_driver_sql(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE 'SELECT id FROM jobs%%'").one()
    return int(generic), int(custom)


def test_a_prepared_statement_gets_a_generic_plan_by_default(postgresql_engine: Engine) -> None:
    """The control: what plan_each_execution prevents does happen without it."""
    postgresql_engine.dispose()
    generic, _ = _plans_used(postgresql_engine, 12)
    assert generic > 0


def test_after_plan_each_execution_every_execution_is_planned_with_its_values(postgresql_engine: Engine) -> None:
    db.plan_each_execution()
    db.plan_each_execution()  # a second call adds nothing
    generic, custom = _plans_used(db.engine(), 12)
    assert (generic, custom) != (0, 0)
    assert generic == 0


def test_plan_each_execution_leaves_sqlite_alone(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the SQLite case")
    db.plan_each_execution()
    assert not event.contains(db.engine(), "connect", db._with_custom_plans)
