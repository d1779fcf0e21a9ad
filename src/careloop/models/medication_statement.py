"""What a patient says they take, or a record shows they took (FHIR R4 MedicationStatement), coded in RxNorm.
Medication reconciliation compares these with the orders (medication_requests)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, PublicId, str_enum


class MedicationStatementStatus(StrEnum):
    """FHIR R4 medication-statement-status."""

    active = "active"
    completed = "completed"
    entered_in_error = "entered-in-error"
    intended = "intended"
    stopped = "stopped"
    on_hold = "on-hold"
    unknown = "unknown"
    not_taken = "not-taken"


class MedicationStatement(IntPK, PublicId, Base):
    __tablename__ = "medication_statements"
    __table_args__ = (Index("ix_medication_statements_patient_id_status", "patient_id", "status"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    status: Mapped[MedicationStatementStatus] = mapped_column(str_enum(MedicationStatementStatus, 24))
    rxnorm: Mapped[str] = mapped_column(String(16))
    display: Mapped[str] = mapped_column(String(300))
    effective_start: Mapped[datetime | None]
    effective_end: Mapped[datetime | None]
    date_asserted: Mapped[datetime | None]
    dosage_text: Mapped[str | None] = mapped_column(String(300))
    fhir_resource_id: Mapped[int | None] = mapped_column(BigInteger)
