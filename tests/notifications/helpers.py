"""Arranging notifications for tests: an overdue task and its notification, as the sweep would leave them."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from sqlalchemy import select

from careloop import db
from careloop.models import Notification, Patient, User
from careloop.notifications import service
from tests.factories import Personas, make_task


def notify_about_task(personas: Personas, user_id: int, *, title: str = "Call after discharge",
                      patient_id: int | None = None) -> UUID:
    """A task for the patient (cora's by default) and a notification about it for `user_id`; its public id."""
    with db.unit_of_work() as s:
        patient = s.get(Patient, patient_id or personas.patient_id)
        task = make_task(s, patient, owner=s.get(User, personas.coordinator_id), title=title,
                         due_in=timedelta(hours=-1))
        made = service.notify(s, user_id=user_id, kind="task.overdue", title=f"Overdue: {title}", task_id=task.id)
        assert made is not None
        return made.public_id


def notify_plain(user_id: int, title: str) -> UUID:
    """A notification that names no patient."""
    with db.unit_of_work() as s:
        made = service.notify(s, user_id=user_id, kind="system.message", title=title)
        assert made is not None
        return made.public_id


def read_at(notification_id: UUID) -> object:
    with db.unit_of_work() as s:
        return s.scalar(select(Notification.read_at).where(Notification.public_id == notification_id))
