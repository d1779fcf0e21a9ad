"""Task input and output shapes (no I/O)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from careloop.clock import require_timezone
from careloop.models.careteam import CareTeamRole
from careloop.models.task import TaskPriority, TaskStatus


class TaskType(StrEnum):
    outreach = "outreach"
    follow_up_call = "follow-up-call"
    med_review = "med-review"
    appointment = "appointment"
    assessment = "assessment"
    education = "education"
    referral = "referral"
    care_plan_review = "care-plan-review"
    safety = "safety"
    other = "other"


class DueWindow(StrEnum):
    overdue = "overdue"
    today = "today"
    week = "week"
    none = "none"  # no due date
    all = "all"


class TaskOwnerIn(BaseModel):
    """Exactly one of: a user, a team, or a care-team role (anyone holding it on the patient may claim)."""

    model_config = ConfigDict(extra="forbid")

    user_id: UUID | None = None
    team_id: UUID | None = None
    role: CareTeamRole | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> TaskOwnerIn:
        given = [v for v in (self.user_id, self.team_id, self.role) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one owner: user_id, team_id or role")
        return self


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    type: TaskType
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    priority: TaskPriority = TaskPriority.routine
    due_at: datetime | None = None
    owner: TaskOwnerIn

    _due_has_timezone = field_validator("due_at")(require_timezone)


class TaskUpdate(BaseModel):
    """Edit what a task asks for; the status changes only through actions."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: int = Field(ge=1, description="the version you last read; a stale one gets 409")
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    priority: TaskPriority | None = None
    due_at: datetime | None = None
    owner: TaskOwnerIn | None = None
    note: str | None = Field(default=None, max_length=1000)

    _due_has_timezone = field_validator("due_at")(require_timezone)


class TaskActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: int = Field(ge=1, description="the version you last read; a stale one gets 409")
    note: str | None = Field(default=None, max_length=1000, description="why; required for some actions")


class PersonRef(BaseModel):
    id: UUID
    name: str


class TaskEventOut(BaseModel):
    at: datetime
    actor: str | None
    action: str
    from_status: str | None
    to_status: str | None
    note: str | None


class TaskOut(BaseModel):
    id: UUID
    version: int
    patient: PersonRef
    type: str
    title: str
    description: str | None
    status: TaskStatus
    status_reason: str | None
    priority: TaskPriority
    owner_user: PersonRef | None
    owner_team: PersonRef | None
    owner_role: str | None
    due_at: datetime | None
    overdue: bool
    authored_on: datetime
    last_modified: datetime
    completed_at: datetime | None
    allowed_actions: list[str]


class TaskPage(BaseModel):
    items: list[TaskOut]
    total: int
    page: int
    size: int


class WorklistFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: list[TaskStatus] | None = None  # None: every open status
    patient_id: UUID | None = None
    patient_name: str | None = Field(default=None, max_length=100)
    type: TaskType | None = None
    due: DueWindow = DueWindow.all
    page: int = Field(default=1, ge=1, le=100000)
    size: int = Field(default=25, ge=1, le=200)
