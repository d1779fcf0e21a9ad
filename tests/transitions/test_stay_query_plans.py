"""The readmission and TCM-complexity reads find one patient's stays with one index seek on SQLite, not by reading
every inpatient discharge of the population in the 30-day window (migration 0012; SQLite plans them without
statistics until ANALYZE has run, and a redundant "period_end IS NOT NULL" used to tip it to the wrong index)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from careloop import db
from careloop.transitions import complexity, repository
from tests.query_plans import sqlite_plan

PER_PATIENT_INDEX = "ix_encounters_patient_id_class_code_period_end"
STATEMENTS = {"index stay": repository._INDEX_STAY[False], "index stay, excluding": repository._INDEX_STAY[True],
              "earlier stay": complexity._EARLIER_STAY[False],
              "earlier stay, excluding": complexity._EARLIER_STAY[True]}


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
