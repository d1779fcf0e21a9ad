"""What the population API and pages show: a patient's scores with their evidence, gaps, cohorts, lists."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class SortKey(StrEnum):
    """Columns a population list sorts by, highest first."""

    hcc_raf = "hcc_raf"
    charlson = "charlson_quan2011"
    lace = "lace"
    ed_12m = "ed_12m"
    ip_12m = "ip_12m"
    open_gaps = "open_gaps"


class RunOut(BaseModel):
    id: UUID
    as_of: date
    period_start: date
    period_end: date
    program: str
    definitions: dict[str, Any]


class ScoresOut(BaseModel):
    age: int
    risk_tier: str
    tier_reason: str
    charlson_quan2011: int
    charlson_1987: int
    charlson_age_adjusted: int
    charlson_evidence: list[dict[str, Any]]
    hcc_segment: str
    hcc_v28: float
    hcc_v24: float
    hcc_raf: float
    hcc_evidence: list[dict[str, Any]]
    lace: int | None
    lace_band: str | None
    lace_evidence: str | None
    hospital_score: int | None
    hospital_band: str | None
    hospital_evidence: str | None
    ed_6m: int
    ed_12m: int
    ip_6m: int
    ip_12m: int
    readmissions_30d: int
    open_gaps: int


class GapOut(BaseModel):
    measure: str
    title: str
    version: str
    status: str
    event_date: date | None
    due_date: date
    evidence: str
    period: str
    source: str


class CohortMembershipOut(BaseModel):
    cohort: str
    title: str
    reason: str


class PatientPopulationOut(BaseModel):
    """One patient's standing in the latest run; `run` is null before the first run."""

    run: RunOut | None
    scores: ScoresOut | None
    gaps: list[GapOut]
    cohorts: list[CohortMembershipOut]


class CohortCountOut(BaseModel):
    cohort: str
    title: str
    version: str
    source: str
    patients: int  # of the patients the caller may see


class PopulationRowOut(BaseModel):
    patient_id: UUID
    name: str
    age: int
    risk_tier: str
    charlson_quan2011: int
    hcc_raf: float
    lace: int | None
    ed_12m: int
    ip_12m: int
    open_gaps: int
    in_care_management: bool


class PopulationPage(BaseModel):
    run: RunOut | None
    rows: list[PopulationRowOut]
    total: int
    page: int
    size: int


class PopulationFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cohort: str | None = Field(default=None, max_length=40)
    tier: str | None = Field(default=None, max_length=24)
    sort: SortKey = SortKey.hcc_raf
    page: int = Field(default=1, ge=1, le=100000)
    size: int = Field(default=25, ge=1, le=200)


class EnrollIn(BaseModel):
    """Enroll a patient in care management: a care manager (default: me) and the first tasks."""

    model_config = ConfigDict(extra="forbid")

    care_manager_id: UUID | None = None


class GapTaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    measure: str = Field(min_length=1, max_length=40)
    event_date: date | None = None


class GapTaskOut(BaseModel):
    task_id: UUID
    created: bool  # false: the gap already had an open task, which is returned


def parse_evidence(text: str | None) -> list[dict[str, Any]]:
    """A score's evidence, in a stable order: the definitions store it as a set (ordering a million patients'
    evidence in SQL costs a sort each), so it is ordered here, by kind then factor or category."""
    value = json.loads(text) if text else []
    if not isinstance(value, list):
        return []
    return sorted(value, key=lambda item: (str(item.get("kind", "")), str(item.get("factor") or item.get("category"))))
