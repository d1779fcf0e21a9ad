"""Visits and stays: office visits, ED visits, hospital admissions (FHIR R4 Encounter)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, PublicId, str_enum


class EncounterStatus(StrEnum):
    planned = "planned"
    arrived = "arrived"
    triaged = "triaged"
    in_progress = "in-progress"
    onleave = "onleave"
    finished = "finished"
    cancelled = "cancelled"
    entered_in_error = "entered-in-error"
    unknown = "unknown"


class EncounterClass(StrEnum):
    """v3 ActCode encounter classes that care coordination distinguishes."""

    ambulatory = "AMB"
    emergency = "EMER"
    inpatient = "IMP"
    observation = "OBSENC"
    home_health = "HH"
    virtual = "VR"
    short_stay = "SS"


class Encounter(IntPK, PublicId, Base):
    __tablename__ = "encounters"
    __table_args__ = (
        Index("ix_encounters_patient_id_period_start", "patient_id", "period_start"),
        Index("ix_encounters_class_code_period_end", "class_code", "period_end"),
        # One patient's stays of a class in a time window (readmissions, TCM complexity): migration 0012.
        Index("ix_encounters_patient_id_class_code_period_end", "patient_id", "class_code", "period_end"),
    )

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    status: Mapped[EncounterStatus] = mapped_column(str_enum(EncounterStatus, 24))
    class_code: Mapped[EncounterClass] = mapped_column(str_enum(EncounterClass, 8))
    type_code: Mapped[str | None] = mapped_column(String(32))  # SNOMED CT or CPT
    type_display: Mapped[str | None] = mapped_column(String(200))
    period_start: Mapped[datetime]
    period_end: Mapped[datetime | None]
    facility: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(200))  # unit / room / bed
    reason_code: Mapped[str | None] = mapped_column(String(32))  # ICD-10-CM, normalised
    reason_display: Mapped[str | None] = mapped_column(String(300))
    # http://terminology.hl7.org/CodeSystem/discharge-disposition (home, snf, rehab, hosp, exp...)
    discharge_disposition: Mapped[str | None] = mapped_column(String(16))
    # The code as the source sent it when it was translated (e.g. NUBC "http://www.nubc.org/patient-discharge|01").
    discharge_disposition_source: Mapped[str | None] = mapped_column(String(80))
    # The FHIR resource this row was mapped from (no foreign key: a provenance pointer into the store).
    fhir_resource_id: Mapped[int | None] = mapped_column(BigInteger)
