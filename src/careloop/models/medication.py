"""Medication orders, coded in RxNorm."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, PublicId, str_enum


class MedicationRequestStatus(StrEnum):
    """FHIR R4 medicationrequest-status."""

    active = "active"
    on_hold = "on-hold"
    cancelled = "cancelled"
    completed = "completed"
    entered_in_error = "entered-in-error"
    stopped = "stopped"
    draft = "draft"
    unknown = "unknown"


class MedicationRequest(IntPK, PublicId, Base):
    __tablename__ = "medication_requests"
    __table_args__ = (Index("ix_medication_requests_patient_id_status", "patient_id", "status"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    rxnorm: Mapped[str] = mapped_column(String(16))
    display: Mapped[str] = mapped_column(String(300))
    status: Mapped[MedicationRequestStatus] = mapped_column(str_enum(MedicationRequestStatus, 24))
    intent: Mapped[str] = mapped_column(String(24), default="order")
    dosage_text: Mapped[str | None] = mapped_column(String(300))
    authored_on: Mapped[datetime]
    prescriber: Mapped[str | None] = mapped_column(String(200))
    # The FHIR resource this row was mapped from (no foreign key: a provenance pointer into the store).
    fhir_resource_id: Mapped[int | None] = mapped_column(BigInteger)
