"""Care-plan templates for common programs, as versioned data files (data/*.json), checked when loaded.

Applying a template adds its goals and intervention tasks to a plan once: each item is keyed
`<template id>@<version>:<item key>` on the plan, so applying it again adds nothing.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from careloop.careplans.achievement import COMPARATORS
from careloop.models import CareTeamRole, TaskPriority
from careloop.tasks.schemas import TaskType

DATA = Path(__file__).parent / "data"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TargetSpec(_Strict):
    code: str = Field(pattern=r"^\d{1,7}-\d$")  # LOINC
    comparator: Literal["<", "<=", ">", ">="] | None = None
    value: float | None = None
    unit: str | None = None

    @model_validator(mode="after")
    def _comparator_needs_value(self) -> TargetSpec:
        if (self.comparator is None) != (self.value is None):
            raise ValueError("give a comparator and a value together, or neither (the team sets it)")
        assert self.comparator is None or self.comparator in COMPARATORS
        return self


class GoalSpec(_Strict):
    key: str = Field(pattern=r"^[a-z0-9-]+$")
    description: str = Field(min_length=1, max_length=500)
    category: str | None = None
    priority: Literal["high-priority", "medium-priority", "low-priority"] = "medium-priority"
    target_days: int = Field(ge=1, le=730)
    targets: list[TargetSpec] = Field(default_factory=list)


class InterventionSpec(_Strict):
    key: str = Field(pattern=r"^[a-z0-9-]+$")
    kind: Literal["task", "education", "referral"]
    task_type: TaskType
    title: str = Field(min_length=1, max_length=200)
    role: CareTeamRole
    due_days: int = Field(ge=0, le=365)
    priority: TaskPriority = TaskPriority.routine
    goal: str | None = None


class Template(_Strict):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    version: int = Field(ge=1)
    title: str
    source: str
    review_interval_days: int = Field(ge=1, le=365)
    addresses_icd10: list[str] = Field(default_factory=list)
    goals: list[GoalSpec]
    interventions: list[InterventionSpec]

    @model_validator(mode="after")
    def _keys(self) -> Template:
        goal_keys = [g.key for g in self.goals]
        keys = goal_keys + [i.key for i in self.interventions]
        if len(set(goal_keys)) != len(goal_keys) or len({i.key for i in self.interventions}) != len(self.interventions):
            raise ValueError(f"template {self.id}: item keys must be unique")
        for item in self.interventions:
            if item.goal is not None and item.goal not in goal_keys:
                raise ValueError(f"template {self.id}: intervention {item.key} names unknown goal {item.goal}")
        assert keys
        return self

    def item_key(self, key: str) -> str:
        return f"{self.id}@{self.version}:{key}"


@cache
def installed() -> dict[str, Template]:
    """Every template shipped in data/, by id (the file name must be the id)."""
    found: dict[str, Template] = {}
    for path in sorted(DATA.glob("*.json")):
        template = Template.model_validate(json.loads(path.read_text(encoding="utf-8")))
        if template.id != path.stem:
            raise ValueError(f"{path.name}: id {template.id!r} does not match the file name")
        found[template.id] = template
    return found
