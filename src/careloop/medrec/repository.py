"""Reconciliation queries."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from careloop.errors import NotFound
from careloop.models import MedRecDiscrepancy, MedRecEntry, MedReconciliation


def get_or_raise(session: Session, public_id: UUID) -> MedReconciliation:
    rec = session.scalar(select(MedReconciliation).where(MedReconciliation.public_id == public_id)
                         .options(joinedload(MedReconciliation.patient)))
    if rec is None:
        raise NotFound(f"No medication reconciliation {public_id}.")
    return rec


def for_episode(session: Session, episode_id: int) -> MedReconciliation | None:
    """The episode's reconciliation: the one in progress, or else the latest completed."""
    return session.scalar(select(MedReconciliation).where(MedReconciliation.episode_id == episode_id)
                          .options(joinedload(MedReconciliation.patient))
                          .order_by((MedReconciliation.status == "in-progress").desc(),
                                    MedReconciliation.id.desc()).limit(1))


def entries(session: Session, rec_id: int) -> Sequence[MedRecEntry]:
    return session.scalars(select(MedRecEntry).where(MedRecEntry.reconciliation_id == rec_id)
                           .order_by(MedRecEntry.id)).all()


def entry_or_raise(session: Session, rec_id: int, public_id: UUID) -> MedRecEntry:
    entry = session.scalar(select(MedRecEntry).where(MedRecEntry.reconciliation_id == rec_id,
                                                     MedRecEntry.public_id == public_id))
    if entry is None:
        raise NotFound(f"No entry {public_id} on this reconciliation.")
    return entry


def discrepancies(session: Session, rec_id: int) -> Sequence[MedRecDiscrepancy]:
    return session.scalars(select(MedRecDiscrepancy).where(MedRecDiscrepancy.reconciliation_id == rec_id)
                           .options(joinedload(MedRecDiscrepancy.resolved_by)).order_by(MedRecDiscrepancy.id)).all()


def discrepancy_or_raise(session: Session, rec_id: int, public_id: UUID) -> MedRecDiscrepancy:
    found = session.scalar(select(MedRecDiscrepancy).where(MedRecDiscrepancy.reconciliation_id == rec_id,
                                                           MedRecDiscrepancy.public_id == public_id))
    if found is None:
        raise NotFound(f"No discrepancy {public_id} on this reconciliation.")
    return found
