"""Assessment input and output shapes (no I/O)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from careloop.models.assessment import FindingStatus, ResponseStatus

# linkId -> the answer codes chosen (one for most items; several for 'choose all that apply')
AnswersIn = dict[str, list[str]]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseStart(_In):
    instrument: str = Field(min_length=1, max_length=64, description="an instrument key, e.g. phq-9")
    answers: AnswersIn = Field(default_factory=dict, description="answers so far; may be partial")


class ResponseSave(_In):
    version: int = Field(ge=1, description="the version you last read; a stale one gets 409")
    answers: AnswersIn = Field(description="all the answers so far (replaces what was saved); may be partial")


class ResponseComplete(_In):
    version: int = Field(ge=1, description="the version you last read; a stale one gets 409")
    answers: AnswersIn | None = Field(default=None, description="the final answers; omit to complete what was saved")


class ResponseAmend(_In):
    version: int = Field(ge=1, description="the version of the completed response you amend")
    answers: AnswersIn = Field(description="the corrected answers, complete")
    reason: str | None = Field(default=None, max_length=500)


class EnteredInError(_In):
    version: int = Field(ge=1)
    reason: str = Field(min_length=1, max_length=500)


class FindingAccept(_In):
    note: str | None = Field(default=None, max_length=500)


class FindingDismiss(_In):
    reason: str = Field(min_length=1, max_length=500, description="why the concern does not apply")


class OptionOut(BaseModel):
    system: str
    code: str
    display: str
    value: float | None


class ItemOut(BaseModel):
    link_id: str
    text: str
    required: bool
    repeats: bool
    loinc: str | None
    options: list[OptionOut]


class ScoreRuleOut(BaseModel):
    key: str
    display: str
    loinc: str | None
    min: float
    max: float


class InstrumentOut(BaseModel):
    key: str
    title: str
    version: str
    description: str | None
    loinc: str | None
    items: list[ItemOut]
    scores: list[ScoreRuleOut]


class ScoreOut(BaseModel):
    key: str
    display: str
    loinc: str | None
    value: float | None
    band_code: str | None
    band_display: str | None
    observation_id: UUID
    status: str


class ConcernOut(BaseModel):
    system: str | None
    code: str | None
    display: str | None
    sdoh_category: str | None


class FindingOut(BaseModel):
    id: UUID
    rule_key: str
    display: str
    concern: ConcernOut | None
    severity: str | None
    status: FindingStatus
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    condition_id: UUID | None
    task_id: UUID | None


class ResponseSummary(BaseModel):
    id: UUID
    patient_id: UUID
    instrument: str
    instrument_title: str
    instrument_version: str
    status: ResponseStatus
    status_reason: str | None
    started_at: datetime
    authored_at: datetime | None
    author: str | None
    version: int
    replaces_id: UUID | None
    replaced_by_id: UUID | None


class ResponseOut(ResponseSummary):
    answers: AnswersIn
    scores: list[ScoreOut]
    findings: list[FindingOut]
    questionnaire_response: dict[str, Any] = Field(description="the FHIR R4 QuestionnaireResponse")
