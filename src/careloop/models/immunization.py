"""Vaccines given (or recorded as not given), coded in CVX (FHIR R4 Immunization)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, PublicId, str_enum


class ImmunizationStatus(StrEnum):
    completed = "completed"
    entered_in_error = "entered-in-error"
    not_done = "not-done"


class Immunization(IntPK, PublicId, Base):
    __tablename__ = "immunizations"
    __table_args__ = (Index("ix_immunizations_patient_id_occurred_at", "patient_id", "occurred_at"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id"))
    status: Mapped[ImmunizationStatus] = mapped_column(str_enum(ImmunizationStatus, 24))
    vaccine_system: Mapped[str] = mapped_column(String(16))  # cvx, usually
    vaccine_code: Mapped[str] = mapped_column(String(32))
    display: Mapped[str] = mapped_column(String(300))
    occurred_at: Mapped[datetime | None]  # None when the source gave only a text (occurrenceString)
    primary_source: Mapped[bool | None]
    fhir_resource_id: Mapped[int | None] = mapped_column(BigInteger)
