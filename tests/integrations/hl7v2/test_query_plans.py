"""The apply pass's reads of the message table stay on their indexes (migration 0016, apply.first_waiting): the
held messages of a batch's identifiers from the index of held messages alone, and the received messages from the
least id an unfinished apply job names, not from the first message ever received."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from careloop import db
from careloop.integrations.hl7v2 import apply, batch
from tests.query_plans import sqlite_plan


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the plan asserted is SQLite's; PostgreSQL plans from the statistics autovacuum keeps")


@pytest.mark.usefixtures("sqlite_only")
@pytest.mark.parametrize("size", [1, 2, 64])
def test_the_held_messages_of_a_batchs_identifiers_are_read_from_the_held_ones_only(size: int) -> None:
    """From the held index, or (SQLite's choice without statistics for several identifiers) the held entries of the
    status index: either reads the held messages, not every message of the batch's patients."""
    plan = sqlite_plan(batch._HELD._read(size).statement)
    assert "ix_hl7_messages_held" in plan or "ix_hl7_messages_status_id (status=?)" in plan, plan


@pytest.mark.usefixtures("sqlite_only")
def test_the_received_messages_are_read_from_the_first_a_job_names() -> None:
    plan = sqlite_plan(apply._PENDING.statement)
    assert "ix_hl7_messages_status_id (status=? AND id>?)" in plan, plan


def test_the_migration_and_the_model_agree_on_the_held_index() -> None:
    postgresql = db.engine().dialect.name == "postgresql"
    query = ("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'hl7_messages'"
             if postgresql else "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'hl7_messages'")
    with db.unit_of_work() as session:
        names = {row[0] for row in session.execute(text(query))}
    assert "ix_hl7_messages_held" in names
    assert "ix_hl7_messages_identifier_system_identifier_value" not in names
