"""A claim seeks the jobs index instead of reading the whole table: done jobs are kept a week (millions under a
hospital feed), and the claim's former OR of "queued and due" and "lease expired" made SQLite scan them all."""

from __future__ import annotations

import pytest

from careloop.clock import utcnow
from careloop.worker.runner import _due, _lease_expired, claimable_first, claimable_of_kind
from tests.query_plans import sqlite_plan

NOW = utcnow()
STATEMENTS = {"due": claimable_first(_due(NOW)), "lease expired": claimable_first(_lease_expired(NOW)),
              "due, of a kind": claimable_of_kind(_due(NOW)),
              "lease expired, of a kind": claimable_of_kind(_lease_expired(NOW))}


@pytest.mark.parametrize("name", list(STATEMENTS))
def test_a_claim_seeks_the_status_index(backend: str, name: str) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL plans with the statistics autovacuum keeps; this is SQLite's plan")
    plan = sqlite_plan(STATEMENTS[name])
    assert "ix_jobs_status_run_at (status=? AND run_at" in plan or "ix_jobs_status_run_at (status=?)" in plan, plan
    assert "SCAN jobs" not in plan, plan


def test_a_relay_reads_only_the_unrelayed_events(backend: str) -> None:
    """Nearly every event kept is relayed; PostgreSQL's planner, knowing so, walked the primary key from the first
    event kept and filtered (migration 0014). With the statistics of such a table, the relay reads its own index."""
    from sqlalchemy import insert, text

    from careloop import db
    from careloop.models.jobs import OutboxEvent
    from careloop.worker.runner import _UNRELAYED

    with db.unit_of_work() as session:
        session.execute(insert(OutboxEvent), [{"type": "t", "payload": {}, "occurred_at": NOW,
                                               "relayed_at": NOW if n < 4990 else None} for n in range(5000)])
        session.execute(text("ANALYZE outbox_events"))
    if backend == "sqlite":
        plan = sqlite_plan(_UNRELAYED)
        assert "ix_outbox_events_unrelayed" in plan and "TEMP B-TREE" not in plan, plan
        return
    with db.unit_of_work() as session:
        compiled = _UNRELAYED.compile(dialect=session.get_bind().dialect)
        plan = "\n".join(session.execute(text(f"EXPLAIN {compiled.string}".replace("%(param_1)s", "500"))).scalars())
    assert "ix_outbox_events_unrelayed" in plan and "Filter" not in plan, plan
