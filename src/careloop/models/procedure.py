"""Procedures done to or for a patient, including completed interventions such as an SDOH referral's outcome
(FHIR R4 Procedure)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, PublicId, str_enum


class EventStatus(StrEnum):
    """FHIR R4 event-status (Procedure.status)."""

    preparation = "preparation"
    in_progress = "in-progress"
    not_done = "not-done"
    on_hold = "on-hold"
    stopped = "stopped"
    completed = "completed"
    entered_in_error = "entered-in-error"
    unknown = "unknown"


class Procedure(IntPK, PublicId, Base):
    __tablename__ = "procedures"
    __table_args__ = (Index("ix_procedures_patient_id_performed_start", "patient_id", "performed_start"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id"))
    status: Mapped[EventStatus] = mapped_column(str_enum(EventStatus, 24))
    code_system: Mapped[str] = mapped_column(String(16))  # key in careloop.terminology.systems
    code: Mapped[str] = mapped_column(String(32))
    display: Mapped[str] = mapped_column(String(300))
    performed_start: Mapped[datetime | None]
    performed_end: Mapped[datetime | None]
    reason_code: Mapped[str | None] = mapped_column(String(32))
    reason_display: Mapped[str | None] = mapped_column(String(300))
    fhir_resource_id: Mapped[int | None] = mapped_column(BigInteger)
