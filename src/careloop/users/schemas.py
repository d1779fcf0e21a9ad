"""Account shapes (no I/O)."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from careloop.auth.passwords import MIN_PASSWORD_LENGTH
from careloop.models.user import StaffRole


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    display_name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    roles: list[StaffRole] = Field(min_length=1)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=200)
    teams: list[str] = Field(default_factory=list, description="team names to join")

    @field_validator("username")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    roles: list[StaffRole] | None = Field(default=None, min_length=1)
    active: bool | None = None
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=200)


class UserOut(BaseModel):
    id: UUID
    username: str
    display_name: str
    email: str | None
    roles: list[str]
    active: bool
    teams: list[str]


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=500)


class TeamOut(BaseModel):
    id: UUID
    name: str
    description: str | None
