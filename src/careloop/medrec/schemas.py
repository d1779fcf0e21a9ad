"""Reconciliation inputs and outputs (no I/O)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Resolution(StrEnum):
    continue_ = "continue"  # keep taking it (as the discharge list has it; for an omission or a stop: as before)
    stop = "stop"  # not taken
    change = "change"  # taken with the regimen the resolver gives
    ask_prescriber = "ask-prescriber"  # the earlier regimen stands until the prescriber answers (a task asks)


class EntryIn(BaseModel):
    """One medicine on the discharge list."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    rxnorm: str = Field(min_length=1, max_length=16, pattern=r"^\d+$", description="RxNorm product (SCD/SBD) RxCUI")
    frequency: str | None = Field(default=None, max_length=60, description="e.g. twice daily; required unless stop")
    dose: str | None = Field(default=None, max_length=60, description="the product's strength if left out")
    route: str | None = Field(default=None, max_length=40, description="the product's usual route if left out")
    stop: bool = Field(default=False, description="the discharge list says to stop this medicine")

    @model_validator(mode="after")
    def _frequency_unless_stopped(self) -> EntryIn:
        if not self.stop and not self.frequency:
            raise ValueError("say how often it is taken (frequency), or mark it stopped")
        return self


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    resolution: Resolution
    reason: str = Field(min_length=1, max_length=500)
    new_dose: str | None = Field(default=None, max_length=60)
    new_frequency: str | None = Field(default=None, max_length=60)
    new_route: str | None = Field(default=None, max_length=40)

    @model_validator(mode="after")
    def _change_says_what(self) -> ResolveIn:
        regimen = (self.new_dose, self.new_frequency, self.new_route)
        if self.resolution is Resolution.change and not any(regimen):
            raise ValueError("a change needs the new dose, frequency or route")
        if self.resolution is not Resolution.change and any(regimen):
            raise ValueError("a new dose, frequency or route goes only with the resolution 'change'")
        return self


class EntryOut(BaseModel):
    id: UUID
    list: str
    rxnorm: str
    display: str
    ingredient: str
    dose: str | None
    frequency: str | None
    route: str | None
    stop: bool


class DiscrepancyOut(BaseModel):
    id: UUID
    kind: str
    ingredient: str
    detail: str
    pre_entry_id: UUID | None
    discharge_entry_id: UUID | None
    resolution: str | None
    reason: str | None
    resolved_by: str | None
    resolved_at: datetime | None


class ReconciliationOut(BaseModel):
    id: UUID
    patient_id: UUID
    episode_id: UUID | None
    status: str
    created_at: datetime
    completed_at: datetime | None
    pre_admission: list[EntryOut]
    discharge: list[EntryOut]
    discrepancies: list[DiscrepancyOut]
