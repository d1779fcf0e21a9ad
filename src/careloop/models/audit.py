"""The append-only audit trail: who did what to which patient's record, when, from where, and the outcome."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, str_enum


class AuditOutcome(StrEnum):
    allowed = "allowed"
    denied = "denied"
    failed = "failed"


class AuditEvent(IntPK, Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_patient_id_at", "patient_id", "at"),
        Index("ix_audit_events_actor_id_at", "actor_id", "at"),
    )

    at: Mapped[datetime]
    # No foreign keys: the trail must outlive (and never block) changes to the rows it mentions.
    actor_id: Mapped[int | None]
    actor_username: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))  # e.g. patient.read, task.complete, login
    outcome: Mapped[AuditOutcome] = mapped_column(str_enum(AuditOutcome, 16))
    patient_id: Mapped[int | None]
    entity_type: Mapped[str | None] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))  # public id
    source_ip: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(16))  # web, api, cli, worker, fhir, hl7
    detail: Mapped[dict[str, Any] | None]
