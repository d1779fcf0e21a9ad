"""Reports of investigations (FHIR R4 DiagnosticReport): a lab panel, an imaging study, with its conclusion.
The individual results are observations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, PublicId, str_enum


class DiagnosticReportStatus(StrEnum):
    registered = "registered"
    partial = "partial"
    preliminary = "preliminary"
    final = "final"
    amended = "amended"
    corrected = "corrected"
    appended = "appended"
    cancelled = "cancelled"
    entered_in_error = "entered-in-error"
    unknown = "unknown"


class DiagnosticReport(IntPK, PublicId, Base):
    __tablename__ = "diagnostic_reports"
    __table_args__ = (Index("ix_diagnostic_reports_patient_id_effective_at", "patient_id", "effective_at"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id"))
    status: Mapped[DiagnosticReportStatus] = mapped_column(str_enum(DiagnosticReportStatus, 24))
    category: Mapped[str | None] = mapped_column(String(32))  # v2-0074: LAB, RAD...
    code_system: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))
    display: Mapped[str] = mapped_column(String(300))
    effective_at: Mapped[datetime | None]
    issued_at: Mapped[datetime | None]
    conclusion: Mapped[str | None] = mapped_column(Text)
    fhir_resource_id: Mapped[int | None] = mapped_column(BigInteger)
