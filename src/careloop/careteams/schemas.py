"""Care team shapes (no I/O)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from careloop.models.careteam import CareTeamRole


class CareTeamMemberIn(BaseModel):
    """A staff user, a whole team, or a person without an account (e.g. a family caregiver)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: CareTeamRole
    user_id: UUID | None = None
    team_id: UUID | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    contact: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _exactly_one_member(self) -> CareTeamMemberIn:
        given = [v for v in (self.user_id, self.team_id, self.name) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one member: user_id, team_id or name")
        return self


class EndMembershipIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=300)


class CareTeamMemberOut(BaseModel):
    id: UUID
    role: CareTeamRole
    kind: str  # user, team or person
    member_id: UUID | None
    name: str
    contact: str | None
    since: datetime
    ended: datetime | None
    end_reason: str | None
