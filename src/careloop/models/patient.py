"""The patient and their business identifiers (MRNs, payer member ids), matched by system + value."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careloop.models.base import Base, IntPK, PublicId, Timestamps, str_enum


class AdministrativeGender(StrEnum):
    """FHIR R4 administrative-gender."""

    male = "male"
    female = "female"
    other = "other"
    unknown = "unknown"


class ContactMethod(StrEnum):
    phone = "phone"
    sms = "sms"
    email = "email"
    mail = "mail"
    portal = "portal"


class Patient(IntPK, PublicId, Timestamps, Base):
    __tablename__ = "patients"
    __table_args__ = (
        Index("ix_patients_family_norm_given_norm", "family_norm", "given_norm"),
        Index("ix_patients_given_norm", "given_norm"),
        Index("ix_patients_birth_date", "birth_date"),
    )

    family: Mapped[str] = mapped_column(String(100))
    given: Mapped[str] = mapped_column(String(100))
    # Lower-cased copies so name search is an indexed prefix match on both backends.
    family_norm: Mapped[str] = mapped_column(String(100))
    given_norm: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date]
    gender: Mapped[AdministrativeGender] = mapped_column(str_enum(AdministrativeGender, 16))
    preferred_language: Mapped[str] = mapped_column(String(16), default="en")  # BCP-47
    interpreter_needed: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    address_line: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(40))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    contact_method: Mapped[ContactMethod] = mapped_column(str_enum(ContactMethod, 16), default=ContactMethod.phone)
    contact_notes: Mapped[str | None] = mapped_column(String(500))  # e.g. "mornings; daughter translates"
    deceased_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    # The FHIR resource this row was mapped from (no foreign key: a provenance pointer into the store).
    fhir_resource_id: Mapped[int | None] = mapped_column(BigInteger)

    identifiers: Mapped[list[PatientIdentifier]] = relationship(
        back_populates="patient", lazy="raise", cascade="all, delete-orphan"
    )

    @property
    def display_name(self) -> str:
        return Patient.name_of(self.family, self.given)

    @staticmethod
    def name_of(family: str, given: str) -> str:
        """How a patient is named in lists and headings (also for rows read without an ORM object)."""
        return f"{family}, {given}"


class PatientIdentifier(IntPK, Base):
    __tablename__ = "patient_identifiers"
    __table_args__ = (UniqueConstraint("system", "value"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    system: Mapped[str] = mapped_column(String(200))  # URI or assigning authority
    value: Mapped[str] = mapped_column(String(100))
    type_code: Mapped[str | None] = mapped_column(String(16))  # v2-0203: MR, MB, SS...

    patient: Mapped[Patient] = relationship(back_populates="identifiers", lazy="raise")
