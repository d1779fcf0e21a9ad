"""Keys reserved before their rows are written (reserved_keys.py, PendingInserts.add_row): distinct, after every
existing row's, and the rows land under them with whatever refers to them, on both backends."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from careloop import db
from careloop.clock import utcnow
from careloop.models import Patient, Task, TaskEvent, TaskPriority, TaskStatus
from careloop.pending_inserts import PendingInserts
from careloop.reserved_keys import BLOCK, ReservedKeys
from tests.factories import make_patient, make_task


def _task(patient_id: int, title: str) -> dict[str, Any]:
    now = utcnow()
    return {"patient_id": patient_id, "type": "outreach", "title": title, "priority": TaskPriority.routine,
            "priority_rank": 2, "status": TaskStatus.requested, "owner_role": "care_coordinator", "authored_on": now,
            "last_modified": now}


def test_reserved_keys_follow_the_existing_rows_and_never_repeat() -> None:
    with db.unit_of_work() as session:
        patient = make_patient(session)
        existing = make_task(session, patient).id
    with db.unit_of_work() as session:
        keys = ReservedKeys()
        taken = [keys.take(session, Task.__table__) for _ in range(BLOCK + 5)]  # past one PostgreSQL block
    assert len(set(taken)) == len(taken) and min(taken) > existing
    assert taken == sorted(taken)


def test_pending_rows_are_written_under_their_reserved_keys_with_rows_that_refer_to_them() -> None:
    with db.unit_of_work() as session:
        patient_id = make_patient(session).id
    with db.unit_of_work() as session:
        pending = PendingInserts()
        ids = []
        for title in ("Call", "Visit"):
            task_id = pending.add_row(session, Task, _task(patient_id, title))
            pending.add(TaskEvent, {"task_id": task_id, "at": utcnow(), "action": "created",
                                    "to_status": TaskStatus.requested.value})
            ids.append(task_id)
        pending.write(session)
    with db.unit_of_work() as session:
        rows = session.execute(select(Task.id, Task.title).where(Task.id.in_(ids)).order_by(Task.id)).all()
        assert [tuple(r) for r in rows] == [(ids[0], "Call"), (ids[1], "Visit")]
        assert sorted(session.scalars(select(TaskEvent.task_id))) == sorted(ids)
        # The database numbers the next task after them, as if it had numbered them itself.
        assert make_task(session, session.get_one(Patient, patient_id)).id > max(ids)


def test_a_transaction_that_keeps_taking_keys_takes_them_in_growing_blocks(backend: str) -> None:
    """On PostgreSQL a block doubles each time one runs out (32, 64, ... up to MAX_BLOCK), so a large batch costs
    few round trips and a small one wastes few keys; every key is still distinct and in order."""
    from careloop.reserved_keys import MAX_BLOCK
    with db.unit_of_work() as session:
        keys = ReservedKeys()
        wanted = BLOCK * 7 + MAX_BLOCK + 3
        taken = [keys.take(session, Task.__table__) for _ in range(wanted)]
        if backend == "postgresql":
            # 32 + 64 + ... + 1024 = 2016 >= wanted; the sequence has moved exactly that far.
            last = session.execute(text("SELECT last_value FROM tasks_id_seq")).scalar_one()
            assert last - taken[0] + 1 == sum(min(BLOCK * 2 ** n, MAX_BLOCK) for n in range(6))
    assert len(set(taken)) == wanted and taken == sorted(taken)
