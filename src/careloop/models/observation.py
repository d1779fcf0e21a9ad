"""Vitals, labs and scores, coded in LOINC. A blood pressure is stored as its two components
(8480-6 systolic, 8462-4 diastolic) sharing one effective time and panel code 85354-9."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, PublicId, str_enum


class ObservationStatus(StrEnum):
    registered = "registered"
    preliminary = "preliminary"
    final = "final"
    amended = "amended"
    corrected = "corrected"
    cancelled = "cancelled"
    entered_in_error = "entered-in-error"
    unknown = "unknown"


class Observation(IntPK, PublicId, Base):
    __tablename__ = "observations"
    __table_args__ = (
        Index("ix_observations_patient_id_effective_at", "patient_id", "effective_at"),
        # Covering: the population snapshot reads its measured codes from this index alone (snapshot.py).
        Index("ix_observations_by_code", "code", "effective_at", "status", "patient_id", "encounter_id",
              "value_num"),
    )

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id"))
    category: Mapped[str] = mapped_column(String(24))  # vital-signs, laboratory, survey, social-history
    code: Mapped[str] = mapped_column(String(16))  # LOINC
    display: Mapped[str] = mapped_column(String(200))
    panel_code: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[ObservationStatus] = mapped_column(str_enum(ObservationStatus, 24), default=ObservationStatus.final)
    effective_at: Mapped[datetime]
    value_num: Mapped[float | None]
    value_text: Mapped[str | None] = mapped_column(String(300))
    unit: Mapped[str | None] = mapped_column(String(24))  # UCUM
    # The FHIR resource this row came from; a panel's components share it (no foreign key: a provenance
    # pointer into the store, indexed because a new version of the resource replaces all its rows).
    fhir_resource_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
