"""JSON shapes of the ADT review queue (no I/O)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field


class HeldIdentifier(BaseModel):
    system: str = Field(description="PID-3.4 assigning authority")
    value: str = Field(description="PID-3.1")


class HeldMessageOut(BaseModel):
    message_id: UUID = Field(description="the first held message for this identifier")
    identifier: HeldIdentifier
    held_count: int = Field(description="messages waiting on this identifier, applied in order once resolved")
    trigger: str | None
    received_at: datetime
    reason: str | None
    family: str
    given: str
    birth_date: date | None
    sex: str


class CandidateOut(BaseModel):
    id: UUID
    name: str
    birth_date: date
    gender: str


class HeldDetailOut(HeldMessageOut):
    candidates: list[CandidateOut] = Field(description="patients you may see with the same birth date or name")


class HeldPage(BaseModel):
    items: list[HeldMessageOut]


class LinkIn(BaseModel):
    patient_id: UUID


class ResolvedOut(BaseModel):
    patient_id: UUID
    released: int = Field(description="held messages sent back to the worker to apply")
