"""What the notifications page shows, computed from the service's items (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from careloop.notifications.schemas import NotificationKind
from careloop.notifications.service import NotificationItem
from careloop.web.formatting import label

KIND_LABELS = {NotificationKind.task_overdue.value: "Task overdue"}


@dataclass(frozen=True)
class NotificationView:
    id: UUID
    unread: bool
    created_at: datetime
    kind_label: str
    title: str
    body: str | None
    link: str | None  # the task if there is one, else the patient, else nothing
    patient_id: UUID | None
    patient_name: str | None
    withheld: bool


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind) or label(kind.replace(".", " "))


def notification_view(item: NotificationItem) -> NotificationView:
    n, patient = item.notification, item.patient
    link = f"/tasks/{item.task_id}" if item.task_id else (f"/patients/{patient.public_id}" if patient else None)
    return NotificationView(
        id=n.public_id, unread=n.read_at is None, created_at=n.created_at, kind_label=kind_label(n.kind),
        title=item.title, body=item.body, link=link, patient_id=patient.public_id if patient else None,
        patient_name=patient.display_name if patient else None, withheld=item.withheld,
    )
