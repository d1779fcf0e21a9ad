"""Notification JSON routes: my notifications, mark one read, mark all read (thin: parse, call, shape)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from careloop.http.deps import ApiActor, DbSession
from careloop.notifications import service
from careloop.notifications.schemas import NotificationOut, NotificationPage, ReadAllIn, ReadAllOut
from careloop.notifications.service import NotificationItem
from careloop.tasks.schemas import PersonRef

router = APIRouter(tags=["notifications"])


def notification_out(item: NotificationItem) -> NotificationOut:
    n = item.notification
    patient = PersonRef(id=item.patient.public_id, name=item.patient.display_name) if item.patient else None
    return NotificationOut(id=n.public_id, kind=n.kind, title=item.title, body=item.body, created_at=n.created_at,
                           read_at=n.read_at, unread=n.read_at is None, patient=patient, task_id=item.task_id,
                           withheld=item.withheld)


@router.get("/notifications", response_model=NotificationPage, summary="My notifications")
def my_notifications(
    session: DbSession,
    actor: ApiActor,
    unread: Annotated[bool, Query(description="only the unread ones")] = False,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 25,
) -> NotificationPage:
    """Newest first. A notification naming a patient you no longer follow comes without the patient."""
    items, total = service.list_for(session, actor, unread_only=unread, page=page, size=size)
    return NotificationPage(items=[notification_out(i) for i in items], total=total,
                            unread_count=service.unread_count(session, actor), page=page, size=size)


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut)
def mark_read(notification_id: UUID, session: DbSession, actor: ApiActor) -> NotificationOut:
    return notification_out(service.mark_read(session, actor, notification_id))


@router.post("/notifications/read-all", response_model=ReadAllOut)
def mark_all_read(session: DbSession, actor: ApiActor, body: ReadAllIn | None = None) -> ReadAllOut:
    marked = service.mark_all_read(session, actor, up_to=body.up_to if body else None)
    return ReadAllOut(marked=marked, unread_count=service.unread_count(session, actor))
