"""A claim seeks the jobs index instead of reading the whole table: done jobs are kept a week (millions under a
hospital feed), and the claim's former OR of "queued and due" and "lease expired" made SQLite scan them all."""

from __future__ import annotations

import pytest

from careloop.clock import utcnow
from careloop.worker.runner import _due, _lease_expired, claimable_first, claimable_of_kind
from tests.query_plans import sqlite_plan

NOW = utcnow()
STATEMENTS = {"due": claimable_first(_due(NOW)), "lease expired": claimable_first(_lease_expired(NOW)),
              "due, of a kind": claimable_of_kind(_due(NOW), "k", 10),
              "lease expired, of a kind": claimable_of_kind(_lease_expired(NOW), "k", 10)}


@pytest.mark.parametrize("name", list(STATEMENTS))
def test_a_claim_seeks_the_status_index(backend: str, name: str) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL plans with the statistics autovacuum keeps; this is SQLite's plan")
    plan = sqlite_plan(STATEMENTS[name])
    assert "ix_jobs_status_run_at (status=? AND run_at" in plan or "ix_jobs_status_run_at (status=?)" in plan, plan
    assert "SCAN jobs" not in plan, plan
