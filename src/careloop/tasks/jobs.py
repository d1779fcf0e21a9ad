"""Background jobs of the tasks domain. Handlers take (session, payload), run inside the worker's unit of work
(they flush, never commit) and are idempotent: the worker may run one again after a crash."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from careloop import audit
from careloop.access import Permission, system_actor
from careloop.access.permissions import permissions_for
from careloop.clock import utcnow
from careloop.errors import InvalidInput
from careloop.models import Task, TaskEvent
from careloop.notifications import service as notifications
from careloop.notifications.schemas import NotificationKind
from careloop.tasks import repository as repo
from careloop.tasks.workflow import ACTIVE_STATUSES
from careloop.worker import enqueue

# Enough to clear a backlog in a few runs, small enough that one run's transaction stays short; what is
# left over is picked up by the next run of the schedule.
BATCH_SIZE = 1000
SWEEP_JOB = "tasks.sweep_overdue"
TITLE_LIMIT = 200


def sweep_overdue(session: Session, payload: Mapping[str, Any]) -> None:
    """Flag each open task whose due time has passed, once, and notify the people whose worklist it is on.

    payload (all optional): "now", an ISO 8601 instant with a timezone (tests); "limit", the batch size.
    """
    now, limit = _now(payload), _limit(payload)
    flagged = repo.flag_overdue(session, now, limit=limit)
    if not flagged:
        return
    _record(session, flagged, now)
    notifications.notify_all(session, _notices(session, flagged), at=now)
    if len(flagged) == limit:  # a backlog: carry on at once rather than wait for the next scheduled run
        enqueue(session, SWEEP_JOB, {"limit": limit}, key=f"{SWEEP_JOB}:after:{now.isoformat()}")
    session.flush()


def _now(payload: Mapping[str, Any]) -> datetime:
    raw = payload.get("now")
    if raw is None:
        return utcnow()
    try:
        value = datetime.fromisoformat(str(raw))
    except ValueError:
        raise InvalidInput(f"payload 'now' is not an ISO 8601 instant: {raw!r}.") from None
    if value.tzinfo is None:
        raise InvalidInput(f"payload 'now' needs a timezone (e.g. 2026-11-30T17:00:00Z): {raw!r}.")
    return value.astimezone(UTC)


def _limit(payload: Mapping[str, Any]) -> int:
    raw = payload.get("limit", BATCH_SIZE)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 10 * BATCH_SIZE:
        raise InvalidInput(f"payload 'limit' must be a whole number from 1 to {10 * BATCH_SIZE}: {raw!r}.")
    return raw


def _record(session: Session, flagged: Sequence[repo.Flagged], now: datetime) -> None:
    """The task's history says it went overdue (no one did it: actor None); the audit trail says the system
    looked at the patient's task."""
    actor = system_actor("overdue-sweep")
    session.execute(insert(TaskEvent), [
        {"task_id": t.id, "at": now, "actor_id": None, "action": "overdue", "from_status": t.status.value,
         "to_status": t.status.value, "note": None} for t in flagged])
    for t in flagged:
        audit.record(session, actor, "task.overdue", patient_id=t.patient_id, entity_type="task",
                     entity_id=str(t.public_id), detail={"due_at": t.due_at.isoformat()})


def _notices(session: Session, flagged: Sequence[repo.Flagged]) -> list[dict[str, Any]]:
    recipients = _recipients(session, flagged)
    return [
        {"user_id": user_id, "kind": NotificationKind.task_overdue.value, "title": _title(t.title),
         "patient_id": t.patient_id, "task_id": t.id, "dedupe_key": dedupe_key(t, user_id)}
        for t in flagged for user_id in sorted(recipients[t.id])
    ]


def dedupe_key(task: repo.Flagged, user_id: int) -> str:
    """One per task, due date and person: a second run adds nothing, but a task moved to a new due date
    that passes in turn is news again."""
    return f"task.overdue:{task.public_id}:{task.due_at.astimezone(UTC):%Y%m%dT%H%M%SZ}:{user_id}"


def _title(task_title: str, prefix: str = "Overdue: ") -> str:
    text = f"{prefix}{task_title}"
    return text if len(text) <= TITLE_LIMIT else text[:TITLE_LIMIT - 1] + "…"


def _recipients(session: Session, flagged: Sequence[repo.Flagged]) -> dict[int, set[int]]:
    """Task id -> the users whose worklist shows it: its owner; or its team's members; or whoever holds the
    queued role on the patient's care team. Only people who can still see the patient and whose role lets them
    read tasks, exactly as the worklist would show it."""
    reach: set[tuple[int, int]] = set()
    holders: dict[tuple[int, str], set[int]] = defaultdict(set)
    for patient_id, role, user_id in repo.care_team_reach(session, {t.patient_id for t in flagged}):
        reach.add((patient_id, user_id))
        holders[(patient_id, str(role))].add(user_id)
    members: dict[int, set[int]] = defaultdict(set)
    for team_id, user_id in repo.team_members(session, {t.owner_team_id for t in flagged if t.owner_team_id}):
        members[team_id].add(user_id)
    wanted = {t.id: _owners(t, holders, members) for t in flagged}
    readers = _task_readers(session, {u for users in wanted.values() for u in users})
    patient_of = {t.id: t.patient_id for t in flagged}
    return {task_id: {u for u in users if u in readers and (patient_of[task_id], u) in reach}
            for task_id, users in wanted.items()}


def _owners(task: repo.Flagged, holders: Mapping[tuple[int, str], set[int]],
            members: Mapping[int, set[int]]) -> set[int]:
    if task.owner_user_id is not None:
        return {task.owner_user_id}
    if task.owner_team_id is not None:
        return members.get(task.owner_team_id, set())
    if task.owner_role:
        return holders.get((task.patient_id, task.owner_role), set())
    return set()


def _task_readers(session: Session, user_ids: set[int]) -> set[int]:
    roles = repo.active_staff_roles(session, user_ids) if user_ids else {}
    return {user_id for user_id, held in roles.items() if Permission.task_read in permissions_for(tuple(held))}


def notify_assignee(session: Session, payload: Mapping[str, Any]) -> None:
    """On "task.assigned": tell the new owner, unless the task has moved on (reassigned again, closed) or
    they can no longer see the patient by the time the event is relayed."""
    task_id, user_id = int(payload["task_id"]), int(payload["user_id"])
    task = session.get(Task, task_id)
    if task is None or task.owner_user_id != user_id or task.status not in ACTIVE_STATUSES:
        return
    if user_id not in _task_readers(session, {user_id}):
        return
    if not any(u == user_id for _, _, u in repo.care_team_reach(session, {task.patient_id})):
        return
    by = str(payload.get("by") or "A colleague")
    audit.record(session, system_actor("assignment-notifier"), "task.assignment_notified",
                 patient_id=task.patient_id, entity_type="task", entity_id=str(task.public_id))
    notifications.notify(session, user_id=user_id, kind=NotificationKind.task_assigned.value,
                         title=_title(f"{by} assigned you: {task.title}", prefix=""), task_id=task.id,
                         patient_id=task.patient_id,
                         dedupe_key=f"task.assigned:{task.public_id}:{user_id}:{payload.get('event_id')}")
