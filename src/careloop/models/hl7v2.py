"""HL7 v2 ADT intake: every message received (kept whatever happened to it), the hospital visits it names,
and the history of what each applied message changed on an encounter (so a cancel can undo it)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, String, Text, UniqueConstraint, literal_column, text
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, PublicId, str_enum


class Hl7MessageStatus(StrEnum):
    received = "received"  # stored and acknowledged (AA); the worker has not applied it yet
    applied = "applied"
    held = "held"  # waiting in the review queue: no patient, or several, carry its identifier
    rejected = "rejected"  # answered AE or AR; kept for review, never applied
    failed = "failed"  # acknowledged, but applying it was impossible (the reason is kept)


class Hl7Message(IntPK, PublicId, Base):
    __tablename__ = "hl7_messages"
    __table_args__ = (
        Index("ix_hl7_messages_status_id", "status", "id"),
        # The held messages only, by identifier (migration 0016 says why).
        Index("ix_hl7_messages_held", "identifier_system", "identifier_value",
              sqlite_where=text("status = 'held'"), postgresql_where=text("status = 'held'")),
    )

    # "<MSH-4>|<MSH-10>" for accepted messages: a resend of the same message is acknowledged, not stored twice.
    # Rejected messages have none, so a corrected resend under the same control id is not mistaken for one.
    dedupe_key: Mapped[str | None] = mapped_column(String(420), unique=True)
    sending_facility: Mapped[str | None] = mapped_column(String(200))
    control_id: Mapped[str | None] = mapped_column(String(200))
    trigger: Mapped[str | None] = mapped_column(String(8))  # A01, A03...
    version: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime]
    raw: Mapped[str] = mapped_column(Text)
    # The listener's reading of an accepted message (adt.reading_of), which the worker applies without reading the
    # raw text again; NULL for refused messages and those stored before it was kept.
    reading: Mapped[list[Any] | None] = mapped_column(JSON)
    status: Mapped[Hl7MessageStatus] = mapped_column(str_enum(Hl7MessageStatus, 16))
    ack_code: Mapped[str] = mapped_column(String(2))  # AA, AE, AR: what the sender was told
    error: Mapped[str | None] = mapped_column(Text)  # why it was refused, held or could not be applied
    # The PID-3 identifier that matches the patient (the MR one when there are several): held messages wait
    # on it, and linking it to a patient releases them.
    identifier_system: Mapped[str | None] = mapped_column(String(200))
    identifier_value: Mapped[str | None] = mapped_column(String(100))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id"), index=True)
    applied_at: Mapped[datetime | None]


class Hl7Visit(IntPK, Base):
    """A hospital visit (PV1-19 visit number at a facility) and the careloop encounter it became."""

    __tablename__ = "hl7_visits"
    __table_args__ = (UniqueConstraint("facility", "visit_number"),)

    facility: Mapped[str] = mapped_column(String(200))
    visit_number: Mapped[str] = mapped_column(String(100))
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id"), unique=True)
    admission_type: Mapped[str | None] = mapped_column(String(16))  # PV1-4 (table 0007) as last sent


class EncounterChange(IntPK, Base):
    """What one ADT event did to an encounter: the state before and after. A cancel (A11, A12, A13) restores
    `before` of the event it undoes and marks that change cancelled; nothing is deleted."""

    __tablename__ = "encounter_changes"
    __table_args__ = (Index("ix_encounter_changes_encounter_id_id", "encounter_id", "id"),)

    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id"))
    message_id: Mapped[int] = mapped_column(ForeignKey("hl7_messages.id"), index=True)
    event_key: Mapped[str] = mapped_column(String(420), unique=True)
    trigger: Mapped[str] = mapped_column(String(8))
    event_type: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None]  # None: this event created the encounter
    after: Mapped[dict[str, Any]]
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    cancelled_by_key: Mapped[str | None] = mapped_column(String(420))
    cancelled_at: Mapped[datetime | None]


def is_held() -> ColumnElement[bool]:
    """`status = 'held'` with the value written out, not bound: a query can use ix_hl7_messages_held only when its
    condition is the index's own, which a bound value is not to either database when it prepares the statement."""
    return Hl7Message.status == literal_column(f"'{Hl7MessageStatus.held.value}'")
