"""Transitions of care: the episode that follows a discharge to a community setting (the Transitional Care
Management clock, CPT 99495/99496), its checklist, the contact attempts, its history, and readmissions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careloop.models.base import Base, IntPK, PublicId, str_enum
from careloop.models.patient import Patient
from careloop.models.user import User


class EpisodeStatus(StrEnum):
    """FHIR R4 episode-of-care-status (the codes a transition episode uses)."""

    active = "active"
    finished = "finished"
    cancelled = "cancelled"
    entered_in_error = "entered-in-error"


class TransitionEpisode(IntPK, PublicId, Base):
    __tablename__ = "transition_episodes"
    __table_args__ = (
        Index("ix_transition_episodes_patient_id_status", "patient_id", "status"),
        # A stay's active episode, at every readmission the feed applies; an encounter's removal (migration 0012).
        Index("ix_transition_episodes_encounter_id_status", "encounter_id", "status"),
    )

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id", ondelete="SET NULL"))
    event_key: Mapped[str] = mapped_column(String(200), index=True)  # the discharge that started it
    pathway: Mapped[str] = mapped_column(String(64))
    pathway_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[EpisodeStatus] = mapped_column(str_enum(EpisodeStatus, 24))
    status_reason: Mapped[str | None] = mapped_column(String(300))
    facility: Mapped[str | None] = mapped_column(String(200))
    from_class: Mapped[str] = mapped_column(String(16))  # inpatient, observation (the stay discharged from)
    discharge_disposition: Mapped[str | None] = mapped_column(String(16))  # HL7 discharge-disposition code
    discharged_at: Mapped[datetime]
    discharge_date: Mapped[date]  # in the practice's time zone: TCM counts days, not hours
    complexity: Mapped[str] = mapped_column(String(16))  # high (99496, 7 days) or moderate (99495, 14 days)
    complexity_reason: Mapped[str] = mapped_column(String(300))
    contact_due: Mapped[date]
    visit_due: Mapped[date]
    period_end: Mapped[date]  # the 30-day TCM service period's last day
    contact_met_at: Mapped[datetime | None]
    contact_met_by: Mapped[str | None] = mapped_column(String(24))  # "reached" or "two-attempts"
    visit_at: Mapped[datetime | None]
    medrec_completed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    patient: Mapped[Patient] = relationship(lazy="raise")


class ChecklistItem(IntPK, Base):
    """One line of the discharge checklist (discharge summary received, follow-up booked...)."""

    __tablename__ = "episode_checklist_items"
    __table_args__ = (UniqueConstraint("episode_id", "code"),)

    episode_id: Mapped[int] = mapped_column(ForeignKey("transition_episodes.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(500))

    done_by: Mapped[User | None] = relationship(lazy="raise")


class ContactAttempt(IntPK, PublicId, Base):
    """An interactive contact with the patient or caregiver, or a documented attempt that failed."""

    __tablename__ = "episode_contact_attempts"

    episode_id: Mapped[int] = mapped_column(ForeignKey("transition_episodes.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    method: Mapped[str] = mapped_column(String(16))  # phone, video, in-person, portal, text
    with_whom: Mapped[str] = mapped_column(String(16))  # patient, caregiver
    outcome: Mapped[str] = mapped_column(String(24))  # reached, no-answer, left-message, wrong-number
    note: Mapped[str | None] = mapped_column(String(1000))

    by: Mapped[User | None] = relationship(lazy="raise")


class EpisodeEvent(IntPK, Base):
    """The episode's history: what happened to it, who did it, why. Never updated."""

    __tablename__ = "episode_events"

    episode_id: Mapped[int] = mapped_column(ForeignKey("transition_episodes.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(1000))


class Readmission(IntPK, PublicId, Base):
    """An inpatient admission within 30 days of an earlier discharge, linked to that index stay."""

    __tablename__ = "readmissions"
    __table_args__ = (UniqueConstraint("index_encounter_id", "readmission_encounter_id"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    index_encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id", ondelete="CASCADE"))
    readmission_encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id", ondelete="CASCADE"))
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("transition_episodes.id", ondelete="SET NULL"))
    days_after_discharge: Mapped[int] = mapped_column(Integer)
    planned: Mapped[bool] = mapped_column(Boolean)  # planned ones are kept, marked, and left out of counts
    planned_reason: Mapped[str | None] = mapped_column(String(200))
    event_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(24), default="active")  # active, entered-in-error
    created_at: Mapped[datetime]
