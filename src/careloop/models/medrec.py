"""Medication reconciliation: a pre-admission list and a discharge list compared at the RxNorm ingredient
level, the discrepancies found, and how each was resolved (who, when, why)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careloop.models.base import Base, IntPK, PublicId
from careloop.models.patient import Patient
from careloop.models.user import User


class MedReconciliation(IntPK, PublicId, Base):
    __tablename__ = "med_reconciliations"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("transition_episodes.id", ondelete="SET NULL"),
                                                   index=True)
    status: Mapped[str] = mapped_column(String(24))  # in-progress, completed
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    patient: Mapped[Patient] = relationship(lazy="raise")


class MedRecEntry(IntPK, PublicId, Base):
    """One medicine on one of the two lists, with the ingredient it was mapped to."""

    __tablename__ = "med_rec_entries"

    reconciliation_id: Mapped[int] = mapped_column(ForeignKey("med_reconciliations.id", ondelete="CASCADE"),
                                                   index=True)
    list: Mapped[str] = mapped_column(String(16))  # pre, discharge
    rxnorm: Mapped[str] = mapped_column(String(16))
    display: Mapped[str] = mapped_column(String(300))
    ingredient_rxcui: Mapped[str] = mapped_column(String(16))
    ingredient: Mapped[str] = mapped_column(String(100))
    dose: Mapped[str | None] = mapped_column(String(60))
    frequency: Mapped[str | None] = mapped_column(String(60))
    route: Mapped[str | None] = mapped_column(String(40))
    stop: Mapped[bool] = mapped_column(default=False)  # the discharge list says to stop it
    source_request_id: Mapped[int | None] = mapped_column(ForeignKey("medication_requests.id", ondelete="SET NULL"))


class MedRecDiscrepancy(IntPK, PublicId, Base):
    __tablename__ = "med_rec_discrepancies"

    reconciliation_id: Mapped[int] = mapped_column(ForeignKey("med_reconciliations.id", ondelete="CASCADE"),
                                                   index=True)
    kind: Mapped[str] = mapped_column(String(24))  # careloop.medrec.compare.DiscrepancyKind
    ingredient: Mapped[str] = mapped_column(String(100))
    pre_entry_id: Mapped[int | None] = mapped_column(ForeignKey("med_rec_entries.id", ondelete="CASCADE"))
    discharge_entry_id: Mapped[int | None] = mapped_column(ForeignKey("med_rec_entries.id", ondelete="CASCADE"))
    detail: Mapped[str] = mapped_column(String(300))
    resolution: Mapped[str | None] = mapped_column(String(24))  # continue, stop, change, ask-prescriber
    reason: Mapped[str | None] = mapped_column(String(500))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
    # "change": the regimen the resolver decided on, where it differs from the list's
    new_dose: Mapped[str | None] = mapped_column(String(60))
    new_frequency: Mapped[str | None] = mapped_column(String(60))
    new_route: Mapped[str | None] = mapped_column(String(40))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))  # ask-prescriber

    resolved_by: Mapped[User | None] = relationship(lazy="raise")
