"""Care-plan input and output shapes (no I/O). Every change to a plan carries the plan version it was based on
(the body's `version`, or an If-Match header, which wins); a stale one is a 409."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from careloop.careplans.achievement import COMPARATORS
from careloop.clock import require_timezone
from careloop.models import CarePlanKind, CareTeamRole, GoalLifecycleStatus, TaskPriority
from careloop.tasks.schemas import TaskType

LOINC = r"^\d{1,7}-\d$"
GoalPriority = Literal["high-priority", "medium-priority", "low-priority"]


class PlanStatus(StrEnum):
    """The FHIR request-status values a person may set on a plan."""

    draft = "draft"
    active = "active"
    on_hold = "on-hold"
    completed = "completed"
    revoked = "revoked"
    entered_in_error = "entered-in-error"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Versioned(_In):
    version: int = Field(ge=1, description="the plan version you last read; a stale one gets 409")


class PlanCreate(_In):
    kind: CarePlanKind = CarePlanKind.comprehensive
    title: str | None = Field(default=None, min_length=1, max_length=300)
    template_id: str | None = Field(default=None, max_length=60, description="apply this template at once")
    review_interval_days: int | None = Field(default=None, ge=1, le=365)
    next_review_date: date | None = None


class PlanUpdate(Versioned):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    status: PlanStatus | None = None
    what_matters: str | None = Field(default=None, max_length=2000)
    next_review_date: date | None = None
    review_interval_days: int | None = Field(default=None, ge=1, le=365)
    owner_user_id: UUID | None = None


class AddressIn(Versioned):
    condition_id: UUID


class TargetIn(_In):
    code: str = Field(pattern=LOINC, description="LOINC code of the measure, e.g. 4548-4 HbA1c")
    comparator: Literal["<", "<=", ">", ">="] | None = None
    value: float | None = Field(default=None, ge=-1000, le=100000)
    low: float | None = Field(default=None, ge=-1000, le=100000)
    high: float | None = Field(default=None, ge=-1000, le=100000)
    unit: str | None = Field(default=None, max_length=24)

    @model_validator(mode="after")
    def _one_shape(self) -> TargetIn:
        if self.comparator is not None:
            assert self.comparator in COMPARATORS
            if self.value is None or self.low is not None or self.high is not None:
                raise ValueError("a comparator target takes one value (e.g. comparator '<', value 8)")
        elif self.value is not None:
            raise ValueError("a value needs a comparator; for a range give low and/or high")
        elif self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError("low must not be above high")
        return self


class GoalIn(Versioned):
    description: str = Field(min_length=1, max_length=500)
    concern_id: UUID | None = Field(default=None, description="the condition or health concern it addresses")
    priority: GoalPriority = "medium-priority"
    start_date: date | None = None
    target_date: date | None = None
    targets: list[TargetIn] = Field(default_factory=list, max_length=4)

    @model_validator(mode="after")
    def _dates(self) -> GoalIn:
        if self.start_date and self.target_date and self.target_date < self.start_date:
            raise ValueError("the target date cannot be before the start date")
        return self


class GoalUpdate(Versioned):
    description: str | None = Field(default=None, min_length=1, max_length=500)
    lifecycle_status: GoalLifecycleStatus | None = None
    priority: GoalPriority | None = None
    target_date: date | None = None
    targets: list[TargetIn] | None = Field(default=None, max_length=4)


class InterventionKind(StrEnum):
    task = "task"
    education = "education"
    referral = "referral"  # a placeholder until the referrals issue


class InterventionIn(Versioned):
    kind: InterventionKind = InterventionKind.task
    task_type: TaskType = TaskType.other
    title: str = Field(min_length=1, max_length=200)
    role: CareTeamRole | None = Field(default=None, description="queue the task to whoever holds this role")
    owner_user_id: UUID | None = Field(default=None, description="or put it on this person's worklist")
    due_in_days: int | None = Field(default=None, ge=0, le=365)
    due_date: date | None = Field(default=None, description="or due by the end of this local day")
    priority: TaskPriority = TaskPriority.routine
    goal_id: UUID | None = None

    @model_validator(mode="after")
    def _owner_and_due(self) -> InterventionIn:
        if self.role is None and self.owner_user_id is None:
            raise ValueError("choose a care-team role or a person to do it")
        if self.due_in_days is not None and self.due_date is not None:
            raise ValueError("give due_in_days or due_date, not both")
        return self


class EntryKind(StrEnum):
    priority = "priority"  # what matters to me
    barrier = "barrier"


class EntryIn(Versioned):
    kind: EntryKind
    text: str = Field(min_length=1, max_length=1000)


class DecisionIn(Versioned):
    topic: str = Field(min_length=1, max_length=300)
    options: list[str] = Field(min_length=1, max_length=10)
    choice: str = Field(min_length=1, max_length=500)
    decided_on: date
    present: list[str] = Field(min_length=1, max_length=20, description="who was there, the patient included")

    @field_validator("options", "present")
    @classmethod
    def _no_blanks(cls, items: list[str]) -> list[str]:
        cleaned = [i.strip() for i in items]
        if any(not i or len(i) > 300 for i in cleaned):
            raise ValueError("each entry needs 1 to 300 characters")
        return cleaned


class TemplateApplyIn(Versioned):
    template_id: str = Field(min_length=1, max_length=60)


class PatientTemplateIn(_In):
    template_id: str = Field(min_length=1, max_length=60)


class ReviewIn(Versioned):
    note: str | None = Field(default=None, max_length=1000)


class ReadingValue(_In):
    code: str = Field(pattern=LOINC)
    value: float = Field(ge=0, le=100000)


class ReadingIn(_In):
    values: list[ReadingValue] = Field(min_length=1, max_length=4)
    at: datetime | None = Field(default=None, description="when measured; now if left out")

    _at_has_timezone = field_validator("at")(require_timezone)


# ---- out --------------------------------------------------------------------------------------------------------

class Ref(BaseModel):
    id: UUID
    name: str


class ConditionOut(BaseModel):
    id: UUID
    display: str
    code: str
    code_system: str
    category: str
    clinical_status: str


class TargetOut(BaseModel):
    code: str | None
    display: str | None
    comparator: str | None
    low: float | None
    high: float | None
    unit: str | None
    text: str | None


class GoalOut(BaseModel):
    id: UUID
    description: str
    concern: ConditionOut | None
    lifecycle_status: str
    achievement_status: str | None
    achievement_reason: str | None
    priority: str | None
    start_date: date | None
    target_date: date | None
    targets: list[TargetOut]


class InterventionOut(BaseModel):
    task_id: UUID | None
    kind: str | None
    purpose: str | None
    title: str | None
    role: str | None
    status: str
    due_at: datetime | None
    goal_id: UUID | None


class EntryOut(BaseModel):
    id: UUID
    kind: str
    text: str
    status: str


class DecisionOut(BaseModel):
    id: UUID
    topic: str
    options: list[str]
    choice: str
    decided_on: date
    present: list[str]


class PlanSummary(BaseModel):
    id: UUID
    version: int
    kind: str | None
    status: str
    title: str | None
    next_review_date: date | None
    managed: bool  # False: imported from FHIR, read-only here


class PlanOut(PlanSummary):
    patient: Ref
    what_matters: str | None
    owner: Ref | None
    review_interval_days: int | None
    review_due: bool
    addresses: list[ConditionOut]
    goals: list[GoalOut]
    interventions: list[InterventionOut]
    priorities: list[EntryOut]
    barriers: list[EntryOut]
    decisions: list[DecisionOut]
    updated_at: datetime | None


class RevisionOut(BaseModel):
    version: int
    at: datetime
    actor: str
    summary: str


class Change(BaseModel):
    field: str
    before: str | None
    after: str | None


class DiffOut(BaseModel):
    from_version: int
    to_version: int
    changes: list[Change]


class TemplateOut(BaseModel):
    id: str
    version: int
    title: str
    source: str
    goals: list[str]
    interventions: list[str]
