"""insert_ignoring_conflict and the notification insert run one cached textual statement: it must convert values
as a Core insert would (enums, JSON, UTC datetimes), fill Python-side defaults, and add a row only once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import cast

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, func, select, text

from careloop import db
from careloop.db import (
    conflict_ignoring_insert,
    execute_core,
    insert_all_ignoring_conflict,
    insert_each_ignoring_conflict,
    insert_ignoring_conflict,
    insert_returning_key,
)
from careloop.models import Job, JobStatus, Notification
from careloop.notifications import repository as notifications_repo
from tests.factories import Personas


def _job_values(key: str, **changes: object) -> dict[str, object]:
    at = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))  # not UTC: the type converts it
    return {"kind": "demo.kind", "payload": {"n": 1, "nested": ["a"]}, "key": key, "status": JobStatus.queued,
            "run_at": at, "attempts": 0, "max_attempts": 3, "created_at": at, **changes}


def test_a_row_is_added_once_and_its_values_are_converted_by_column_type() -> None:
    with db.unit_of_work() as s:
        assert insert_ignoring_conflict(s, Job, _job_values("k1"), conflict_columns=["key"])
        assert not insert_ignoring_conflict(s, Job, _job_values("k1", kind="other"), conflict_columns=["key"])
    with db.unit_of_work() as s:
        assert not insert_ignoring_conflict(s, Job, _job_values("k1"), conflict_columns=["key"])
        job = s.scalars(select(Job)).one()
        assert (job.kind, job.payload, job.status) == ("demo.kind", {"n": 1, "nested": ["a"]}, JobStatus.queued)
        assert job.run_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
        # Stored as the enum's value, as the ORM stores it (the worker's claims compare with it in SQL).
        raw = s.execute(text("SELECT status FROM jobs")).scalar_one()
        assert raw == "queued"


def test_python_side_defaults_are_filled_for_missing_columns() -> None:
    values = _job_values("k2")
    del values["status"], values["attempts"]  # both have default= on the model
    with db.unit_of_work() as s:
        assert insert_ignoring_conflict(s, Job, values, conflict_columns=["key"])
    with db.unit_of_work() as s:
        job = s.scalars(select(Job)).one()
        assert (job.status, job.attempts) == (JobStatus.queued, 0)


def test_a_sql_expression_default_is_refused_rather_than_skipped() -> None:
    table = Table("demo_sql_default", MetaData(), Column("id", Integer, primary_key=True),
                  Column("made", String, default=func.lower("X")))
    with pytest.raises(TypeError, match="SQL default"):
        conflict_ignoring_insert(table, {"id": 1}, ["id"], returning=("id",))


def test_the_statement_is_built_once_per_shape() -> None:
    table = Job.__table__
    first, _ = conflict_ignoring_insert(table, _job_values("a"), ["key"], returning=("key",))  # type: ignore[arg-type]
    again, _ = conflict_ignoring_insert(table, _job_values("b"), ["key"], returning=("key",))  # type: ignore[arg-type]
    assert first is again


def test_insert_once_fills_the_public_id_and_skips_a_taken_dedupe_key(personas: Personas) -> None:
    now = datetime.now(UTC)
    values = {"user_id": personas.coordinator_id, "kind": "demo", "title": "Hello", "body": None,
              "patient_id": personas.patient_id, "task_id": None, "dedupe_key": "demo:1", "created_at": now}
    with db.unit_of_work() as s:
        added = notifications_repo.insert_once(s, values)
        assert added is not None and added.public_id is not None and added.title == "Hello"
        assert notifications_repo.insert_once(s, {**values, "title": "Again"}) is None
        # Without a dedupe key nothing conflicts: each call adds one.
        assert notifications_repo.insert_once(s, {**values, "dedupe_key": None}) is not None
        assert notifications_repo.insert_once(s, {**values, "dedupe_key": None}) is not None
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Notification)) == 3
        assert s.scalar(select(Notification.created_at).where(Notification.dedupe_key == "demo:1")) == now


def test_several_rows_can_report_another_column_of_the_rows_added() -> None:
    """returning="id": the new rows' ids (the HL7 store's group commit queues its apply job from the first)."""
    with db.unit_of_work() as s:
        assert insert_ignoring_conflict(s, Job, _job_values("taken"), conflict_columns=["key"])
        rows = [_job_values(key) for key in ("fresh1", "taken", "fresh2")]
        ids = insert_all_ignoring_conflict(s, Job, rows, conflict_columns=["key"], returning="id")
        assert ids == set(s.scalars(select(Job.id).where(Job.key.in_(["fresh1", "fresh2"]))))
        assert len(ids) == 2


def test_several_rows_in_one_statement_report_which_keys_were_free() -> None:
    with db.unit_of_work() as s:
        assert insert_ignoring_conflict(s, Job, _job_values("taken"), conflict_columns=["key"])
        rows = [_job_values(key) for key in ("new1", "taken", "new2")]
        assert insert_all_ignoring_conflict(s, Job, rows, conflict_columns=["key"]) == {"new1", "new2"}
        assert insert_all_ignoring_conflict(s, Job, rows, conflict_columns=["key"]) == set()
        insert_each_ignoring_conflict(s, Job, [_job_values(k) for k in ("new2", "new3")], conflict_columns=["key"])
    with db.unit_of_work() as s:
        jobs = s.scalars(select(Job).order_by(Job.id)).all()
        assert [j.key for j in jobs] == ["taken", "new1", "new2", "new3"]
        assert {(j.status, j.payload["n"]) for j in jobs} == {(JobStatus.queued, 1)}


_NOTIFICATIONS = cast(Table, Notification.__table__)


def test_insert_returning_key_writes_the_given_columns_and_the_defaults_and_returns_the_id(
        personas: Personas) -> None:
    now = datetime.now(UTC)
    with db.unit_of_work() as s:
        notification_id = insert_returning_key(s, _NOTIFICATIONS, {
            "user_id": personas.coordinator_id, "kind": "demo", "title": "Hi", "created_at": now})
    with db.unit_of_work() as s:
        stored = s.get(Notification, notification_id)
        assert stored is not None and stored.public_id is not None and stored.title == "Hi"


def test_execute_core_flushes_pending_objects_first_as_session_execute_would(personas: Personas) -> None:
    count = select(func.count()).select_from(Notification)
    with db.unit_of_work() as s:
        s.add(Notification(user_id=personas.coordinator_id, kind="demo", title="Pending", created_at=datetime.now(UTC)))
        assert execute_core(s, count).scalar_one() == 1
    with db.unit_of_work(read_mostly=True) as s:  # no autoflush while a read-mostly unit reads
        s.add(Notification(user_id=personas.coordinator_id, kind="demo", title="Later", created_at=datetime.now(UTC)))
        assert execute_core(s, count).scalar_one() == 1
    with db.unit_of_work() as s:
        assert s.scalar(count) == 2


def test_many_rows_go_in_a_few_statement_shapes_and_report_every_free_key() -> None:
    assert db.chunk_sizes(0) == []
    assert db.chunk_sizes(1) == [1]
    assert db.chunk_sizes(63) == [32, 16, 8, 4, 2, 1]
    assert db.chunk_sizes(200) == [64, 64, 64, 8]
    with db.unit_of_work() as s:
        assert insert_ignoring_conflict(s, Job, _job_values("bulk-7"), conflict_columns=["key"])
        rows = [_job_values(f"bulk-{n}") for n in range(150)]
        assert insert_all_ignoring_conflict(s, Job, rows, conflict_columns=["key"]) == {
            f"bulk-{n}" for n in range(150) if n != 7}
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Job)) == 150


def test_insert_returning_key_is_a_write_the_engine_hears_of(personas: Personas) -> None:
    """It runs on the driver's cursor, but fires before_cursor_execute as SQLAlchemy would: a read-mostly unit
    of work that inserts this way ends its read phase and keeps its audit rows beside the change."""
    heard: list[str] = []

    def listen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        heard.append(statement.split("(")[0].strip())

    event.listen(db.engine(), "before_cursor_execute", listen)
    try:
        with db.unit_of_work() as s:
            at = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
            notification_id = insert_returning_key(s, _NOTIFICATIONS, {
                "user_id": personas.coordinator_id, "kind": "demo", "title": "Hi", "created_at": at})
    finally:
        event.remove(db.engine(), "before_cursor_execute", listen)
    assert "INSERT INTO notifications" in heard
    with db.unit_of_work() as s:
        stored = s.get(Notification, notification_id)
        assert stored is not None and stored.created_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
