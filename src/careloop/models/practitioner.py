"""Clinicians and other professionals, and the roles they hold at organizations (FHIR R4 Practitioner and
PractitionerRole). Staff who sign in to careloop are users; a practitioner may or may not be one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, PublicId


class Practitioner(IntPK, PublicId, Base):
    __tablename__ = "practitioners"
    __table_args__ = (Index("ix_practitioners_npi", "npi"),)

    name: Mapped[str] = mapped_column(String(200))  # as shown: "Dr. Ana Rivera"
    family: Mapped[str | None] = mapped_column(String(100))
    given: Mapped[str | None] = mapped_column(String(100))
    npi: Mapped[str | None] = mapped_column(String(20))
    gender: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    fhir_resource_id: Mapped[int | None] = mapped_column(BigInteger)


class PractitionerRole(IntPK, PublicId, Base):
    __tablename__ = "practitioner_roles"

    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    role_code: Mapped[str | None] = mapped_column(String(32))  # e.g. NUCC provider taxonomy
    role_display: Mapped[str | None] = mapped_column(String(200))
    specialty_code: Mapped[str | None] = mapped_column(String(32))
    specialty_display: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    period_start: Mapped[datetime | None]
    period_end: Mapped[datetime | None]
    fhir_resource_id: Mapped[int | None] = mapped_column(BigInteger)
