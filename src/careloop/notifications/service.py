"""Notification use cases: notify someone once per cause, and let each person read and clear their own.

A person only ever sees and changes their own notifications. One that names a patient the person can no longer
see (they left the care team) is still listed, so it can be cleared, but without the patient, the task or its
text: those were written while they had access and may name the patient.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy.orm import Session

from careloop import audit
from careloop.access import Actor
from careloop.clock import utcnow
from careloop.errors import InvalidInput
from careloop.models import Notification, Patient, Task
from careloop.notifications import repository as repo
from careloop.notifications.schemas import NotificationIn

WITHHELD_TITLE = "About a patient you no longer follow"


@dataclass(frozen=True)
class NotificationItem:
    """A notification as its owner may see it today."""

    notification: Notification
    patient: Patient | None  # None: it names no patient, or one the reader no longer follows
    task_id: UUID | None
    withheld: bool  # it names a patient the reader no longer follows

    @property
    def title(self) -> str:
        return WITHHELD_TITLE if self.withheld else self.notification.title

    @property
    def body(self) -> str | None:
        return None if self.withheld else self.notification.body


def notify(session: Session, *, user_id: int, kind: str, title: str, body: str | None = None,
           patient_id: int | None = None, task_id: int | None = None,
           dedupe_key: str | None = None) -> Notification | None:
    """Tell one user something. With a dedupe key, a second call for the same cause adds nothing (None)."""
    return repo.insert_once(session, _notice(session, user_id=user_id, kind=kind, title=title, body=body,
                                             patient_id=patient_id, task_id=task_id, dedupe_key=dedupe_key))


def send(session: Session, *, user_id: int, kind: str, title: str, body: str | None = None,
         patient_id: int | None = None, task_id: int | None = None, dedupe_key: str | None = None) -> bool:
    """notify() for a caller that needs no notification back (the pathway engine): whether one was added. Saves
    loading the new row as an object, which cost as much as inserting it."""
    return repo.add_once(session, _notice(session, user_id=user_id, kind=kind, title=title, body=body,
                                          patient_id=patient_id, task_id=task_id, dedupe_key=dedupe_key))


def _notice(session: Session, **fields: Any) -> dict[str, Any]:
    values = _checked(fields)
    values["patient_id"] = _patient_of(session, values["task_id"], values["patient_id"])
    return {**values, "created_at": utcnow()}


def notify_all(session: Session, notices: Iterable[dict[str, Any]], *, at: datetime | None = None) -> None:
    """Many notifications in one statement (a sweep); each dict has notify()'s keyword arguments, and each
    names its task's patient itself (no query per row). Duplicates by dedupe key are skipped."""
    created_at = at or utcnow()
    repo.insert_many(session, [{**_checked(n), "created_at": created_at} for n in notices])


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    try:
        return NotificationIn.model_validate(values).model_dump()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(f"Cannot notify: {problems}.") from None


def _patient_of(session: Session, task_id: int | None, patient_id: int | None) -> int | None:
    """A notification about a task names the task's patient, so the no-longer-follows rule applies to it."""
    if task_id is None:
        return patient_id
    task = session.get(Task, task_id)
    if task is None:
        raise InvalidInput(f"Cannot notify about task {task_id}: there is no such task.")
    if patient_id is not None and patient_id != task.patient_id:
        raise InvalidInput(f"Cannot notify: task {task_id} belongs to another patient than {patient_id}.")
    return task.patient_id


def list_for(session: Session, actor: Actor, *, unread_only: bool = False, page: int = 1,
             size: int = 25) -> tuple[list[NotificationItem], int]:
    """The actor's own notifications, newest first, and how many there are in all."""
    query = repo.for_user(actor.user_id, unread_only=unread_only)
    total = repo.count(session, query)
    items = _as_seen_by(session, actor, repo.page(session, query, number=page, size=size),
                        action="notifications.view")
    return items, total


def unread_count(session: Session, actor: Actor) -> int:
    return repo.unread_count(session, actor.user_id)


def mark_read(session: Session, actor: Actor, notification_id: UUID) -> NotificationItem:
    notification = repo.get_own_or_raise(session, actor.user_id, notification_id)
    if notification.read_at is None:  # reading twice keeps the first time
        notification.read_at = utcnow()
        session.flush()
    return _as_seen_by(session, actor, [repo.one(session, notification.id)], action="notification.read")[0]


def mark_all_read(session: Session, actor: Actor, *, up_to: datetime | None = None) -> int:
    """Mark the actor's unread notifications read (only those created by `up_to`, if given); how many."""
    return repo.mark_all_read(session, actor.user_id, utcnow(), up_to=up_to)


def _as_seen_by(session: Session, actor: Actor, rows: Sequence[repo.Listed], *,
                action: str) -> list[NotificationItem]:
    named = {n.patient_id for n, _, _ in rows if n.patient_id is not None}
    visible = repo.still_visible(session, actor, named)
    items = [_item(n, patient, task_id, withheld=n.patient_id is not None and n.patient_id not in visible)
             for n, patient, task_id in rows]
    # Showing a patient's name is a read of their record: 'who saw my record' includes this list.
    audit.record_list(session, actor, action, [i.patient.id for i in items if i.patient is not None])
    return items


def _item(notification: Notification, patient: Patient | None, task_id: UUID | None, *,
          withheld: bool) -> NotificationItem:
    if withheld:
        return NotificationItem(notification, None, None, withheld=True)
    return NotificationItem(notification, patient, task_id, withheld=False)
