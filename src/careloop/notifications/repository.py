"""Notification queries: one user's list, their unread count, and inserts that skip a duplicate cause."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Row, Select, Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from careloop.access import Actor, visible_patient_ids
from careloop.db import conflict_ignoring_insert, insert_ignoring_conflict
from careloop.errors import NotFound
from careloop.models import Notification, Patient, Task

# (notification, its patient, its task's public id); the joins are outer because both are optional.
Listed = Row[tuple[Notification, Patient | None, UUID | None]]


def _insert(session: Session) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT; both backends we run on have it."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def insert_once(session: Session, values: Mapping[str, Any]) -> Notification | None:
    """Add one notification; None if its dedupe key is already taken. ON CONFLICT rather than check-then-insert,
    so two writers racing on the same key cannot both add it (nor fail the loser's transaction). A notification
    without a dedupe key never conflicts (NULLs are distinct in a unique index)."""
    table = cast(Table, Notification.__table__)
    statement, row = conflict_ignoring_insert(table, dict(values), ["dedupe_key"],
                                              returning=tuple(c.key for c in table.columns))
    added: Notification | None = session.scalars(select(Notification).from_statement(statement), row).first()
    return added


def add_once(session: Session, values: Mapping[str, Any]) -> bool:
    """insert_once, returning only whether the notification was added."""
    return insert_ignoring_conflict(session, Notification, dict(values), conflict_columns=["dedupe_key"])


def insert_many(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Many at once (a sweep): one executemany; rows whose dedupe key exists are skipped."""
    if rows:
        statement = _insert(session)(Notification).on_conflict_do_nothing(index_elements=["dedupe_key"])
        session.execute(statement, list(rows))


def for_user(user_id: int | None, *, unread_only: bool) -> Select[tuple[Notification]]:
    query = select(Notification).where(Notification.user_id == user_id)
    return query.where(Notification.read_at.is_(None)) if unread_only else query


def page(session: Session, query: Select[tuple[Notification]], *, number: int, size: int) -> Sequence[Listed]:
    """Newest first, each with what it links to."""
    listed = (query.add_columns(Patient, Task.public_id)
              .outerjoin(Patient, Patient.id == Notification.patient_id)
              .outerjoin(Task, Task.id == Notification.task_id)
              .order_by(Notification.created_at.desc(), Notification.id.desc())
              .offset((number - 1) * size).limit(size))
    return session.execute(listed).all()


def one(session: Session, notification_id: int) -> Listed:
    listed = page(session, select(Notification).where(Notification.id == notification_id), number=1, size=1)
    return listed[0]


def count(session: Session, query: Select[tuple[Notification]]) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def unread_count(session: Session, user_id: int | None) -> int:
    """Answered from the (user_id, read_at, created_at) index alone: it runs on every page."""
    query = select(func.count()).select_from(Notification).where(Notification.user_id == user_id,
                                                                  Notification.read_at.is_(None))
    return session.scalar(query) or 0


def get_own_or_raise(session: Session, user_id: int | None, public_id: UUID) -> Notification:
    """Someone else's notification is 'not found', exactly like one that does not exist: no hint either way."""
    found = session.scalar(select(Notification).where(Notification.public_id == public_id,
                                                      Notification.user_id == user_id))
    if found is None:
        raise NotFound(f"No notification {public_id}.")
    return found


def mark_all_read(session: Session, user_id: int | None, at: datetime, *, up_to: datetime | None) -> int:
    statement = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if up_to is not None:
        statement = statement.where(Notification.created_at <= up_to)
    marked = session.execute(statement.values(read_at=at).returning(Notification.id)).all()
    return len(marked)


def still_visible(session: Session, actor: Actor, patient_ids: Iterable[int]) -> set[int]:
    """Which of these patients the actor can see today (care-team membership may have ended since)."""
    wanted = set(patient_ids)
    if not wanted:
        return set()
    query = select(Patient.id).where(Patient.id.in_(wanted), Patient.id.in_(visible_patient_ids(actor)))
    return set(session.scalars(query))
