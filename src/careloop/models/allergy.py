"""Allergies and intolerances (FHIR R4 AllergyIntolerance): what a pharmacist checks before a new medicine."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, PublicId, str_enum


class AllergyClinicalStatus(StrEnum):
    active = "active"
    inactive = "inactive"
    resolved = "resolved"


class AllergyCriticality(StrEnum):
    low = "low"
    high = "high"
    unable_to_assess = "unable-to-assess"


class AllergyIntolerance(IntPK, PublicId, Base):
    __tablename__ = "allergy_intolerances"
    __table_args__ = (Index("ix_allergy_intolerances_patient_id_clinical_status", "patient_id", "clinical_status"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    clinical_status: Mapped[AllergyClinicalStatus | None] = mapped_column(str_enum(AllergyClinicalStatus, 16))
    verification_status: Mapped[str | None] = mapped_column(String(24))  # unconfirmed, confirmed, refuted...
    type: Mapped[str | None] = mapped_column(String(16))  # allergy, intolerance
    category: Mapped[str | None] = mapped_column(String(16))  # food, medication, environment, biologic
    criticality: Mapped[AllergyCriticality | None] = mapped_column(str_enum(AllergyCriticality, 24))
    code_system: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))
    display: Mapped[str] = mapped_column(String(300))
    onset_at: Mapped[datetime | None]
    recorded_at: Mapped[datetime | None]
    fhir_resource_id: Mapped[int | None] = mapped_column(BigInteger)
