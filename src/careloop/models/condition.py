"""Problems and diagnoses. Codes are normalised at the edge (ICD-10-CM without dots, upper case)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, PublicId, str_enum


class ConditionClinicalStatus(StrEnum):
    """FHIR R4 condition-clinical."""

    active = "active"
    recurrence = "recurrence"
    relapse = "relapse"
    inactive = "inactive"
    remission = "remission"
    resolved = "resolved"


ACTIVE_CLINICAL_STATUSES = (
    ConditionClinicalStatus.active,
    ConditionClinicalStatus.recurrence,
    ConditionClinicalStatus.relapse,
)


class ConditionCategory(StrEnum):
    """FHIR R4 condition-category (health-concern from the Gravity SDOH chain)."""

    problem_list_item = "problem-list-item"
    encounter_diagnosis = "encounter-diagnosis"
    health_concern = "health-concern"


class Condition(IntPK, PublicId, Base):
    __tablename__ = "conditions"
    __table_args__ = (
        Index("ix_conditions_patient_id_clinical_status", "patient_id", "clinical_status"),
        Index("ix_conditions_icd10", "icd10"),
    )

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id"))
    code_system: Mapped[str] = mapped_column(String(16))  # key in careloop.terminology.systems
    code: Mapped[str] = mapped_column(String(32))
    display: Mapped[str] = mapped_column(String(300))
    # The ICD-10-CM code whatever the source system, where one is known, so ICD-based scores can use it.
    icd10: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[ConditionCategory] = mapped_column(
        str_enum(ConditionCategory, 32), default=ConditionCategory.problem_list_item
    )
    clinical_status: Mapped[ConditionClinicalStatus] = mapped_column(str_enum(ConditionClinicalStatus, 16))
    verification_status: Mapped[str] = mapped_column(String(24), default="confirmed")
    onset_date: Mapped[date | None]
    abatement_date: Mapped[date | None]
    recorded_at: Mapped[datetime]
    # The FHIR resource this row was mapped from (no foreign key: a provenance pointer into the store).
    fhir_resource_id: Mapped[int | None] = mapped_column(BigInteger)
