"""What the pathway engine has seen and done: each event once (a cancel marks it), and each piece of work it
created, keyed so that processing the same event again creates nothing new, and a cancel can find and undo it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK


class PathwayEvent(IntPK, Base):
    """An encounter event the engine processed, or a cancel that arrived before the event it cancels."""

    __tablename__ = "pathway_events"

    event_key: Mapped[str] = mapped_column(String(200), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))  # "unknown" while only its cancel has been seen
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id", ondelete="SET NULL"))
    occurred_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(200))  # the cancelling event's key


class PathwayWork(IntPK, Base):
    """One action a rule took for one event: which pathway (and version), rule and action, and what it made."""

    __tablename__ = "pathway_work"

    # event_key + pathway + rule + action index: the idempotency key.
    key: Mapped[str] = mapped_column(String(300), unique=True)
    event_key: Mapped[str] = mapped_column(String(200), index=True)
    pathway: Mapped[str] = mapped_column(String(64))
    pathway_version: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    target_type: Mapped[str | None] = mapped_column(String(24))  # task, episode, readmission; None: notices
    target_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    undone_at: Mapped[datetime | None]
    undo_reason: Mapped[str | None] = mapped_column(String(300))
