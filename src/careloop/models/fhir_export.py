"""Bulk Data exports (FHIR Bulk Data Access IG 2.0, export.html): one row per kick-off, which the status,
download and cancel requests find by `public_id`, and which the export job fills in."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, PublicId, str_enum


class ExportStatus(StrEnum):
    accepted = "accepted"  # kicked off, waiting for a worker
    running = "running"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"  # DELETE on the status URL; its files are removed


class FhirExport(IntPK, PublicId, Base):
    __tablename__ = "fhir_exports"

    # Who asked: the files are theirs only, and the export reaches only what they may see.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scopes: Mapped[str] = mapped_column(String(2000))  # the token's SMART scopes at kick-off
    level: Mapped[str] = mapped_column(String(16))  # system, patient or group
    group_id: Mapped[str | None] = mapped_column(String(64))  # the team's public id for a Group export
    types: Mapped[list[str] | None]  # _type; None: every type
    since: Mapped[datetime | None]  # _since
    request_url: Mapped[str] = mapped_column(String(2000))
    transaction_time: Mapped[datetime]
    status: Mapped[ExportStatus] = mapped_column(str_enum(ExportStatus, 16), default=ExportStatus.accepted)
    progress: Mapped[str | None] = mapped_column(String(200))  # X-Progress while running
    directory: Mapped[str] = mapped_column(String(1000))  # where its NDJSON files are written
    output: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # [{type, file, count}] once completed
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
