"""The readmission and TCM-complexity rules' read of a batch's inpatient stays seeks each patient in the per-patient
index on SQLite, not by reading every inpatient discharge of the population (migration 0012; SQLite plans without
statistics until ANALYZE has run, and a redundant "period_end IS NOT NULL" used to tip it to the wrong index)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from careloop import db
from careloop.transitions import repository
from tests.query_plans import sqlite_plan

PER_PATIENT_INDEX = "ix_encounters_patient_id_class_code_period_end"
STATEMENTS = {f"{size} patients": repository._INPATIENT_STAYS._read(size) for size in (1, 2, 64)}


@pytest.mark.parametrize("name", list(STATEMENTS))
def test_a_patients_stays_are_found_by_the_per_patient_index(backend: str, name: str) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL plans with the statistics autovacuum keeps; the index choice here is SQLite's")
    plan = sqlite_plan(STATEMENTS[name].statement)
    assert PER_PATIENT_INDEX in plan and "patient_id=?" in plan, plan


def test_the_migration_and_the_model_agree_on_the_index() -> None:
    with db.unit_of_work() as session:
        names = {row[0] for row in session.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'encounters'" if db.engine().dialect.name ==
            "postgresql" else "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'encounters'"))}
    assert PER_PATIENT_INDEX in names


# The run's active episodes and readmission links are read by the stays that can be an index, each a seek.
BY_STAY = {
    "active episodes of 64 stays": (repository._ACTIVE_EPISODES_OF_ENCOUNTERS._read(64).statement,
                                    "ix_transition_episodes_encounter_id_status", "encounter_id=?"),
    "links from 64 stays": (repository._LINKS_FROM_STAYS._read(64).statement,
                            "sqlite_autoindex_readmissions_1", "index_encounter_id=?"),
}


@pytest.mark.parametrize("name", list(BY_STAY))
def test_a_runs_episodes_and_links_are_sought_by_stay(backend: str, name: str) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL plans with the statistics autovacuum keeps; the index choice here is SQLite's")
    statement, index, seek = BY_STAY[name]
    plan = sqlite_plan(statement)
    assert index in plan and seek in plan, plan
