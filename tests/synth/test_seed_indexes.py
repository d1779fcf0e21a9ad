"""The patient tables' secondary indexes: built after a fresh seed's load, and whatever happens, the seed ends
with exactly the indexes the migrations create (names, columns, and each index's definition as the database
reports it, partial indexes' WHERE clause included)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from sqlalchemy import Connection, func, inspect, select, text
from typer.testing import CliRunner

from careloop import db
from careloop.cli import app
from careloop.models import Patient
from careloop.synth import generator, indexes, load
from careloop.synth.generator import PATIENT_TABLES, PopulationExists, seed_population

DEFERRED = {index.name for index in indexes.model_indexes(PATIENT_TABLES, unique=False)}


def _schema() -> dict[str, Any]:
    """Each index of the patient tables: its table, columns and uniqueness (inspector) and its definition."""
    with db.engine().connect() as conn:
        inspector = inspect(conn)
        found: dict[str, Any] = {index["name"]: (table, tuple(index["column_names"]), bool(index["unique"]))
                                 for table in PATIENT_TABLES for index in inspector.get_indexes(table)}
        for name, definition in _definitions(conn).items():
            found[name] = (*found.get(name, ()), " ".join(str(definition).split()))
    return found


def _definitions(conn: Connection) -> dict[str, str]:
    if conn.dialect.name == "postgresql":
        query = "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
    else:
        query = "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index'"
    return {name: definition for table, name, definition in conn.execute(text(query)) if table in PATIENT_TABLES}


@pytest.fixture
def migrated_indexes() -> dict[str, Any]:
    schema = _schema()
    assert set(schema) >= DEFERRED, "the migrated schema lacks some of the models' indexes"
    assert "ix_observations_by_code" in DEFERRED and "ix_tasks_role_queue" in DEFERRED
    return schema


def _drop(*names: str) -> None:
    with db.engine().begin() as conn:
        for name in names:
            conn.execute(text(f"DROP INDEX {name}"))


def _watch_load(monkeypatch: pytest.MonkeyPatch) -> dict[str, set[str]]:
    """The indexes each patient table has while the seed writes to it, seen through the writing connection."""
    seen: dict[str, set[str]] = defaultdict(set)
    real = load.write_batch

    def watching(conn: Any, batch: Any) -> None:
        seen[batch.table].update(str(index["name"]) for index in inspect(conn).get_indexes(batch.table))
        real(conn, batch)

    monkeypatch.setattr(load, "write_batch", watching)
    return seen


def _deferred_of(table: str) -> set[str]:
    return {str(index.name) for index in indexes.model_indexes([table], unique=False)}


def test_a_fresh_seed_loads_without_them_and_ends_with_the_migrated_indexes(
        monkeypatch: pytest.MonkeyPatch, migrated_indexes: dict[str, Any]) -> None:
    seen = _watch_load(monkeypatch)
    seed_population(db.engine(), patients=300, seed=5, chunk_size=100)
    assert set(seen) == set(PATIENT_TABLES)
    assert all(not seen[table] & _deferred_of(table) for table in PATIENT_TABLES), dict(seen)
    assert _schema() == migrated_indexes


class _Interrupted(KeyboardInterrupt):
    pass


@pytest.mark.parametrize("failure", ["generator error", "interrupt", "foreign key"])
def test_a_load_that_fails_midway_leaves_every_index(monkeypatch: pytest.MonkeyPatch, backend: str,
                                                     migrated_indexes: dict[str, Any], failure: str) -> None:
    """An error in the generator's thread, Ctrl-C while writing, and a row the database refuses (on
    PostgreSQL that one deletes the half-written chunk, which must find its rows through the indexes)."""
    real_generate, real_write, real_delete = generator.generate_chunk, load.write_batch, load._delete_unfinished

    def second_chunk_fails(rng: Any, n: int, *args: Any) -> Any:
        frames = real_generate(rng, n, *args)
        if frames["patients"]["id"][0] > 50 and failure == "generator error":
            raise RuntimeError("generator broke")
        if frames["patients"]["id"][0] > 50 and failure == "foreign key":
            frames["tasks"]["patient_id"][:] = 10**9  # a key nothing has: the insert fails mid-chunk
        return frames

    def interrupted(conn: Any, batch: Any) -> None:
        if batch.table == "patients" and batch.last_id > 50:
            raise _Interrupted
        real_write(conn, batch)

    indexes_at_cleanup: list[bool] = []

    def deleting(engine: Any, chunks: Any) -> None:
        indexes_at_cleanup.append(set(_schema()) >= DEFERRED)
        real_delete(engine, chunks)

    monkeypatch.setattr(generator, "generate_chunk", second_chunk_fails)
    monkeypatch.setattr(load, "_delete_unfinished", deleting)
    if failure == "interrupt":
        monkeypatch.setattr(load, "write_batch", interrupted)
    expected: Any = {"generator error": RuntimeError, "interrupt": _Interrupted, "foreign key": Exception}[failure]
    with pytest.raises(expected):
        seed_population(db.engine(), patients=150, seed=1, chunk_size=50)
    assert _schema() == migrated_indexes
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == 50
    if backend == "postgresql":
        assert indexes_at_cleanup == [True]


def test_an_index_missing_at_the_start_is_created_again(migrated_indexes: dict[str, Any]) -> None:
    """A seed killed outright leaves its indexes out; the next seed repairs them, even one it refuses."""
    seed_population(db.engine(), patients=40, seed=2)
    _drop("ix_tasks_role_queue", "ix_observations_by_code")
    with pytest.raises(PopulationExists):
        seed_population(db.engine(), patients=40, seed=2)
    assert _schema() == migrated_indexes
    _drop("ix_tasks_role_queue", "ix_patients_birth_date")
    seed_population(db.engine(), patients=40, seed=2, append=True)
    assert _schema() == migrated_indexes


def test_db_upgrade_puts_back_an_index_a_killed_seed_left_out(migrated_indexes: dict[str, Any]) -> None:
    _drop("ix_observations_by_code", "ix_care_team_members_user_id_patient_id")
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert _schema() == migrated_indexes


def test_appending_keeps_the_indexes_throughout(monkeypatch: pytest.MonkeyPatch,
                                                migrated_indexes: dict[str, Any]) -> None:
    seed_population(db.engine(), patients=50, seed=3)
    seen = _watch_load(monkeypatch)
    seed_population(db.engine(), patients=100, seed=3, append=True, chunk_size=50)
    assert set(seen) == set(PATIENT_TABLES)
    assert all(seen[table] >= _deferred_of(table) for table in PATIENT_TABLES), dict(seen)
    assert _schema() == migrated_indexes


def test_a_database_behind_the_migrations_is_left_as_it_is(monkeypatch: pytest.MonkeyPatch,
                                                           migrated_indexes: dict[str, Any]) -> None:
    """The models describe the latest schema only: an older one keeps its own indexes, none added."""
    _drop("ix_tasks_role_queue")
    monkeypatch.setattr(indexes, "at_head", lambda conn: False)
    seen = _watch_load(monkeypatch)
    seed_population(db.engine(), patients=60, seed=4)
    assert seen["observations"] >= _deferred_of("observations")
    assert _schema() == {k: v for k, v in migrated_indexes.items() if k != "ix_tasks_role_queue"}
    monkeypatch.undo()
    indexes.restore(db.engine(), PATIENT_TABLES)
    assert _schema() == migrated_indexes
