"""Orders and referrals (FHIR R4 ServiceRequest): a referral to a specialist or a community organization is
the start of a loop the coordinator must close."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, PublicId, str_enum


class RequestStatus(StrEnum):
    """FHIR R4 request-status."""

    draft = "draft"
    active = "active"
    on_hold = "on-hold"
    revoked = "revoked"
    completed = "completed"
    entered_in_error = "entered-in-error"
    unknown = "unknown"


class RequestIntent(StrEnum):
    """FHIR R4 request-intent."""

    proposal = "proposal"
    plan = "plan"
    directive = "directive"
    order = "order"
    original_order = "original-order"
    reflex_order = "reflex-order"
    filler_order = "filler-order"
    instance_order = "instance-order"
    option = "option"


class ServiceRequest(IntPK, PublicId, Base):
    __tablename__ = "service_requests"
    __table_args__ = (Index("ix_service_requests_patient_id_status", "patient_id", "status"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id"))
    status: Mapped[RequestStatus] = mapped_column(str_enum(RequestStatus, 24))
    intent: Mapped[RequestIntent] = mapped_column(str_enum(RequestIntent, 24))
    priority: Mapped[str | None] = mapped_column(String(16))  # routine, urgent, asap, stat
    category_code: Mapped[str | None] = mapped_column(String(32))
    category_display: Mapped[str | None] = mapped_column(String(300))
    code_system: Mapped[str | None] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(32))
    display: Mapped[str | None] = mapped_column(String(300))
    authored_on: Mapped[datetime | None]
    occurrence_start: Mapped[datetime | None]
    occurrence_end: Mapped[datetime | None]
    requester: Mapped[str | None] = mapped_column(String(200))
    performer: Mapped[str | None] = mapped_column(String(200))
    reason_display: Mapped[str | None] = mapped_column(String(300))
    fhir_resource_id: Mapped[int | None] = mapped_column(BigInteger)
