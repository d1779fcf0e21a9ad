"""Places where care happens: a hospital campus, a ward, a clinic, a patient's home (FHIR R4 Location)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, PublicId, str_enum


class LocationStatus(StrEnum):
    active = "active"
    suspended = "suspended"
    inactive = "inactive"


class Location(IntPK, PublicId, Base):
    __tablename__ = "locations"

    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[LocationStatus | None] = mapped_column(str_enum(LocationStatus, 16))
    type_code: Mapped[str | None] = mapped_column(String(32))  # v3-RoleCode: HOSP, ER, PHARM...
    type_display: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    address_line: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(40))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    managing_organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    fhir_resource_id: Mapped[int | None] = mapped_column(BigInteger)
