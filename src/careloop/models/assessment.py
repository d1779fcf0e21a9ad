"""Assessments: a filled-in instrument (a FHIR QuestionnaireResponse), the score Observations it produced,
and the findings it raised (proposed health concerns, same-day tasks) with the coordinator's decision on each.

Superseded, never deleted: an amendment is a new response that `replaces` the old one, which keeps its
answers with status `amended`; a mistake is `entered-in-error`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careloop.models.base import Base, IntPK, PublicId, str_enum
from careloop.models.patient import Patient
from careloop.models.user import User


class ResponseStatus(StrEnum):
    """FHIR R4 questionnaire-answers-status (`stopped` is not used: a draft is simply left in progress)."""

    in_progress = "in-progress"
    completed = "completed"
    amended = "amended"  # careloop: completed, then replaced by an amendment (see AssessmentResponse.replaces_id)
    entered_in_error = "entered-in-error"
    stopped = "stopped"


class FindingStatus(StrEnum):
    proposed = "proposed"  # waiting for the coordinator
    accepted = "accepted"  # a health-concern Condition was recorded
    dismissed = "dismissed"  # with who and why
    withdrawn = "withdrawn"  # its response was amended or entered in error before anyone decided
    task_raised = "task-raised"  # no concern to decide: the rule raises a task, which carries the work


class AssessmentResponse(IntPK, PublicId, Base):
    __tablename__ = "assessment_responses"
    __table_args__ = (Index("ix_assessment_responses_patient_id_started_at", "patient_id", "started_at"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    instrument: Mapped[str] = mapped_column(String(64))  # the library key (folder name), e.g. phq-9
    instrument_version: Mapped[str] = mapped_column(String(16))  # Questionnaire.version when answered
    status: Mapped[ResponseStatus] = mapped_column(str_enum(ResponseStatus, 24))
    status_reason: Mapped[str | None] = mapped_column(String(500))
    # linkId -> the answer codes chosen, in the questionnaire's order (scoring.Answers)
    answers: Mapped[dict[str, Any]]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime]
    authored_at: Mapped[datetime | None]  # when completed (QuestionnaireResponse.authored)
    last_modified: Mapped[datetime]
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("assessment_responses.id"), index=True)
    # Optimistic lock: a second writer holding an old version gets a 409, never a silent overwrite.
    version: Mapped[int] = mapped_column(Integer, default=1)

    patient: Mapped[Patient] = relationship(lazy="raise")
    author: Mapped[User | None] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class AssessmentScore(IntPK, Base):
    """A score of a response, stored as an Observation (category survey) and linked here with its band."""

    __tablename__ = "assessment_scores"
    __table_args__ = (UniqueConstraint("response_id", "score_key"),)

    response_id: Mapped[int] = mapped_column(ForeignKey("assessment_responses.id", ondelete="CASCADE"))
    observation_id: Mapped[int] = mapped_column(ForeignKey("observations.id", ondelete="CASCADE"), index=True)
    score_key: Mapped[str] = mapped_column(String(64))
    band_code: Mapped[str | None] = mapped_column(String(64))


class AssessmentFinding(IntPK, PublicId, Base):
    """A rule of the instrument that held for a response: the health concern it proposes and/or the task it
    raised. Accepting it records the concern as a Condition (category health-concern) linked back here."""

    __tablename__ = "assessment_findings"
    __table_args__ = (
        UniqueConstraint("response_id", "rule_key"),
        Index("ix_assessment_findings_patient_id_status", "patient_id", "status"),
    )

    response_id: Mapped[int] = mapped_column(ForeignKey("assessment_responses.id", ondelete="CASCADE"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    rule_key: Mapped[str] = mapped_column(String(64))
    display: Mapped[str] = mapped_column(String(300))
    concern_system: Mapped[str | None] = mapped_column(String(100))  # FHIR system URI, as the rule gives it
    concern_code: Mapped[str | None] = mapped_column(String(32))
    concern_display: Mapped[str | None] = mapped_column(String(300))
    sdoh_category: Mapped[str | None] = mapped_column(String(64))  # SDOHCC-CodeSystemTemporaryCodes
    severity: Mapped[str | None] = mapped_column(String(64))  # the band of the score the rule reads, if any
    status: Mapped[FindingStatus] = mapped_column(str_enum(FindingStatus, 16))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(500))
    condition_id: Mapped[int | None] = mapped_column(ForeignKey("conditions.id", ondelete="SET NULL"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))

    decided_by: Mapped[User | None] = relationship(lazy="raise")
