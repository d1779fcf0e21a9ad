"""careloop.driver_writes: many rows written at once land as SQLAlchemy would write them, on either backend (on
PostgreSQL as one statement over arrays): ids in the order added, NULLs, JSON, UTC times and enums; a value too long
for its column is refused, not cut short; updates by key and conflict-ignoring inserts do what one row at a time
would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from careloop.db import insert_each_ignoring_conflict
from careloop.driver_writes import driver_update_by
from careloop.models.jobs import Job, JobStatus, OutboxEvent
from careloop.pending_inserts import PendingInserts, update_by_id

AT = datetime(2026, 12, 4, 9, 30, 15, 123456, tzinfo=UTC)


def _events(count: int) -> list[dict[str, object]]:
    return [{"type": f"test.e{n}", "payload": {"n": n, "text": 'a "quoted", {braced} \\ value', "list": [n, None]},
             "occurred_at": AT + timedelta(minutes=n), "relayed_at": None if n % 2 else AT} for n in range(count)]


def test_many_rows_land_in_order_with_nulls_json_and_times(session: Session) -> None:
    pending = PendingInserts()
    for row in _events(5):
        pending.add(OutboxEvent, row)
    pending.write(session)
    session.commit()
    stored = session.execute(select(OutboxEvent).order_by(OutboxEvent.id)).scalars().all()
    assert [e.type for e in stored] == [f"test.e{n}" for n in range(5)]  # ids follow the order added
    assert [e.payload for e in stored] == [row["payload"] for row in _events(5)]
    assert [e.occurred_at for e in stored] == [AT + timedelta(minutes=n) for n in range(5)]
    assert [e.relayed_at for e in stored] == [AT, None, AT, None, AT]


def test_a_column_of_nulls_only_is_written(session: Session) -> None:
    pending = PendingInserts()
    for row in _events(3):
        pending.add(OutboxEvent, {**row, "relayed_at": None})
    pending.write(session)
    session.commit()
    assert session.scalars(select(OutboxEvent.relayed_at)).all() == [None, None, None]


def test_a_value_too_long_for_its_column_is_refused_not_cut(session: Session, backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite does not enforce VARCHAR lengths")
    pending = PendingInserts()
    for row in _events(3):
        pending.add(OutboxEvent, {**row, "type": "x" * 65})  # type is VARCHAR(64)
    with pytest.raises(DBAPIError, match="too long"):
        pending.write(session)
    session.rollback()
    assert session.scalars(select(OutboxEvent.id)).all() == []


def _jobs(session: Session, count: int) -> list[int]:
    pending = PendingInserts()
    ids = [pending.add_row(session, Job, {"kind": "test.kind", "payload": {}, "key": f"k{n}", "run_at": AT,
                                          "created_at": AT}) for n in range(count)]
    pending.write(session)
    return ids


def test_updates_by_id_and_by_key_set_each_row_its_own_values(session: Session) -> None:
    ids = _jobs(session, 4)
    update_by_id(session, Job, [{"id": job_id, "status": JobStatus.done, "attempts": n, "finished_at": AT}
                                for n, job_id in enumerate(ids[:3])])
    driver_update_by(Job.__table__, "key", ("last_error",)).many(
        session, [{"_key": "k1", "_last_error": "one"}, {"_key": "k3", "_last_error": "three"}])
    session.commit()
    jobs = {job.id: job for job in session.scalars(select(Job))}
    assert [(jobs[i].status, jobs[i].attempts, jobs[i].finished_at) for i in ids] == [
        (JobStatus.done, 0, AT), (JobStatus.done, 1, AT), (JobStatus.done, 2, AT), (JobStatus.queued, 0, None)]
    assert [jobs[i].last_error for i in ids] == [None, "one", None, "three"]


def test_conflict_ignoring_rows_add_only_the_free_keys(session: Session) -> None:
    _jobs(session, 2)
    insert_each_ignoring_conflict(session, Job, [
        {"kind": "test.other", "payload": {"again": True}, "key": key, "run_at": AT, "created_at": AT}
        for key in ("k0", "k5", "k1", "k6")], conflict_columns=["key"])
    session.commit()
    kinds = dict(session.execute(select(Job.key, Job.kind)).tuples().all())
    assert kinds == {"k0": "test.kind", "k1": "test.kind", "k5": "test.other", "k6": "test.other"}


def test_one_row_or_many_is_the_same_write(session: Session) -> None:
    """PostgreSQL writes one row with the row's statement and several over arrays: the results agree."""
    for count in (1, 2):
        pending = PendingInserts()
        for row in _events(count):
            pending.add(OutboxEvent, {**row, "type": f"batch{count}.{row['type']}"})
        pending.write(session)
    session.commit()
    assert session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.id)).all() == [
        "batch1.test.e0", "batch2.test.e0", "batch2.test.e1"]

