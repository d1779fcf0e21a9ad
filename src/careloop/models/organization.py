"""Organizations: hospitals, practices, payers, community-based organizations (FHIR R4 Organization)."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, PublicId


class Organization(IntPK, PublicId, Base):
    __tablename__ = "organizations"
    __table_args__ = (Index("ix_organizations_name", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    type_code: Mapped[str | None] = mapped_column(String(32))  # organization-type: prov, dept, ins, cbo...
    type_display: Mapped[str | None] = mapped_column(String(200))
    npi: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(40))
    address_line: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(40))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    part_of_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    # The FHIR resource this row was mapped from (no foreign key: a provenance pointer into the store).
    fhir_resource_id: Mapped[int | None] = mapped_column(BigInteger)
