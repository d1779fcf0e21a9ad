"""Notification input and output shapes (no I/O)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from careloop.tasks.schemas import PersonRef


class NotificationKind(StrEnum):
    task_overdue = "task.overdue"
    task_assigned = "task.assigned"


class NotificationIn(BaseModel):
    """What notify() accepts; the limits are the columns' (a longer title would fail at INSERT instead)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    user_id: int = Field(ge=1)
    kind: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=1000)
    patient_id: int | None = Field(default=None, ge=1)
    task_id: int | None = Field(default=None, ge=1)
    dedupe_key: str | None = Field(default=None, min_length=1, max_length=200)


class NotificationOut(BaseModel):
    id: UUID
    kind: str
    title: str
    body: str | None
    created_at: datetime
    read_at: datetime | None
    unread: bool
    patient: PersonRef | None
    task_id: UUID | None
    withheld: bool = Field(description="it names a patient you no longer follow: the patient, the task and the "
                                       "text are left out")


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    total: int
    unread_count: int
    page: int
    size: int


class ReadAllIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    up_to: datetime | None = Field(default=None, description="only those created at or before this instant (the "
                                   "moment you loaded the list), so one that arrived since stays unread")

    @field_validator("up_to")
    @classmethod
    def _has_timezone(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("up_to needs a timezone (e.g. 2026-11-30T17:00:00Z)")
        return value


class ReadAllOut(BaseModel):
    marked: int
    unread_count: int
