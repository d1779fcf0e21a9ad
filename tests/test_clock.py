"""clock.one_instant: one `utcnow()` for a block (a worker job's transaction), as PostgreSQL's now() is its
transaction's start; live time outside it."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from careloop import db
from careloop.clock import one_instant, utcnow
from careloop.worker import enqueue
from careloop.worker.registry import Registry
from careloop.worker.runner import Worker


def test_within_one_instant_the_time_stands_still_and_outside_it_moves() -> None:
    before = utcnow()
    with one_instant() as instant:
        first = utcnow()
        time.sleep(0.002)
        assert utcnow() == first == instant
        assert instant.tzinfo is UTC and instant >= before
    time.sleep(0.002)
    assert utcnow() > instant


def test_a_nested_block_keeps_the_outer_instant() -> None:
    with one_instant() as outer:
        time.sleep(0.002)
        with one_instant() as inner:
            assert inner == outer == utcnow()
        assert utcnow() == outer  # leaving the inner block does not end the outer one


def test_a_worker_job_sees_one_instant_from_start_to_end() -> None:
    seen: list[datetime] = []

    def handler(_session: Session, _payload: Mapping[str, Any]) -> None:
        seen.append(utcnow())
        time.sleep(0.002)
        seen.append(utcnow())

    registry = Registry()
    registry.job("test.instant", handler)
    with db.unit_of_work() as session:
        enqueue(session, "test.instant", {})
    Worker(registry, worker_id="w1").drain()
    assert len(seen) == 2 and seen[0] == seen[1]
    assert utcnow() > seen[0]
