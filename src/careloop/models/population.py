"""Population analytics results: each run (its date, measurement period and definition versions) and what
it computed per patient, per care gap and per cohort. Results are derived data: a successful run replaces
the previous run's rows; the run rows themselves are kept as the history of what was computed when."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, PublicId, str_enum


class PopulationRunStatus(StrEnum):
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class PopulationRun(IntPK, PublicId, Base):
    __tablename__ = "population_runs"
    __table_args__ = (Index("ix_population_runs_status_finished_at", "status", "finished_at"),)

    status: Mapped[PopulationRunStatus] = mapped_column(str_enum(PopulationRunStatus, 16))
    as_of: Mapped[date]
    period_start: Mapped[date]
    period_end: Mapped[date]
    program: Mapped[str] = mapped_column(String(40))
    definitions: Mapped[dict[str, Any]]  # definition name -> version
    counts: Mapped[dict[str, Any] | None]  # snapshot rows read, results written
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    requested_by: Mapped[str] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)


class PatientResult(Base):
    """Every score of one patient in one run, with the evidence behind each (JSON or plain text)."""

    __tablename__ = "population_patient_results"
    __table_args__ = (Index("ix_population_patient_results_run_id_risk_tier", "run_id", "risk_tier"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("population_runs.id", ondelete="CASCADE"), primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), ForeignKey("patients.id", ondelete="CASCADE"),
        primary_key=True)
    age: Mapped[int]
    charlson_quan2011: Mapped[int]
    charlson_1987: Mapped[int]
    charlson_age_adjusted: Mapped[int]
    charlson_evidence: Mapped[str] = mapped_column(Text)  # JSON list: category, code, since, weights
    hcc_segment: Mapped[str] = mapped_column(String(8))  # CMS-HCC segment: CNA or CND
    hcc_v28: Mapped[float]
    hcc_v24: Mapped[float]
    hcc_raf: Mapped[float]  # normalised, coding-adjusted, V28/V24 blend of the payment year
    hcc_evidence: Mapped[str] = mapped_column(Text)  # JSON list of the V28 factors: cell, HCCs with codes, counts
    ed_6m: Mapped[int]
    ed_12m: Mapped[int]
    ip_6m: Mapped[int]
    ip_12m: Mapped[int]
    readmissions_30d: Mapped[int]
    lace: Mapped[int | None]
    lace_band: Mapped[str | None] = mapped_column(String(16))
    lace_evidence: Mapped[str | None] = mapped_column(Text)
    hospital_score: Mapped[int | None]
    hospital_band: Mapped[str | None] = mapped_column(String(16))
    hospital_evidence: Mapped[str | None] = mapped_column(Text)
    risk_tier: Mapped[str] = mapped_column(String(24))
    tier_reason: Mapped[str] = mapped_column(String(200))
    open_gaps: Mapped[int]


class CareGap(IntPK, Base):
    """One patient's standing on one measure (or one event of it, such as a discharge) in one run."""

    __tablename__ = "population_gaps"
    __table_args__ = (
        Index("ix_population_gaps_run_id_patient_id", "run_id", "patient_id"),
        Index("ix_population_gaps_run_id_measure_status", "run_id", "measure", "status"),
    )

    run_id: Mapped[int] = mapped_column(ForeignKey("population_runs.id", ondelete="CASCADE"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    measure: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(40))
    event_date: Mapped[date | None]  # the discharge or ED visit an event-based measure follows
    due_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(8))  # open or closed
    evidence: Mapped[str] = mapped_column(Text)

    @property
    def gap_key(self) -> str:
        """Stable across runs: the same patient, measure and event are the same gap."""
        return f"{self.measure}:{self.patient_id}:{self.event_date.isoformat() if self.event_date else '-'}"


class CohortMember(Base):
    __tablename__ = "population_cohort_members"
    __table_args__ = (Index("ix_population_cohort_members_run_id_patient_id", "run_id", "patient_id"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("population_runs.id", ondelete="CASCADE"), primary_key=True)
    cohort: Mapped[str] = mapped_column(String(40), primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), ForeignKey("patients.id", ondelete="CASCADE"),
        primary_key=True)
    reason: Mapped[str] = mapped_column(String(300))


class Cohort(Base):
    """A cohort's definition (as run) and its size in one run."""

    __tablename__ = "population_cohorts"

    run_id: Mapped[int] = mapped_column(ForeignKey("population_runs.id", ondelete="CASCADE"), primary_key=True)
    cohort: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    version: Mapped[str] = mapped_column(String(40))
    member_count: Mapped[int]



class GapTask(IntPK, Base):
    """The outreach task made for a care gap: a gap has at most one open task (looked up by gap_key, which is
    stable across runs: measure, patient and event)."""

    __tablename__ = "population_gap_tasks"

    gap_key: Mapped[str] = mapped_column(String(120), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
