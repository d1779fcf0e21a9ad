"""Medication reconciliation JSON routes."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from careloop.http.deps import ApiActor, DbSession
from careloop.medrec import service
from careloop.medrec.schemas import DiscrepancyOut, EntryIn, EntryOut, ReconciliationOut, ResolveIn
from careloop.models import MedRecDiscrepancy, MedRecEntry

router = APIRouter(tags=["medication reconciliation"])


def entry_out(entry: MedRecEntry) -> EntryOut:
    return EntryOut(id=entry.public_id, list=entry.list, rxnorm=entry.rxnorm, display=entry.display,
                    ingredient=entry.ingredient, dose=entry.dose, frequency=entry.frequency, route=entry.route,
                    stop=entry.stop)


def discrepancy_out(found: MedRecDiscrepancy, entries: dict[int, MedRecEntry]) -> DiscrepancyOut:
    pre, after = entries.get(found.pre_entry_id or 0), entries.get(found.discharge_entry_id or 0)
    return DiscrepancyOut(id=found.public_id, kind=found.kind, ingredient=found.ingredient, detail=found.detail,
                          pre_entry_id=pre.public_id if pre else None,
                          discharge_entry_id=after.public_id if after else None, resolution=found.resolution,
                          reason=found.reason, resolved_at=found.resolved_at,
                          resolved_by=found.resolved_by.display_name if found.resolved_by else None)


def reconciliation_out(view: service.ReconciliationView) -> ReconciliationOut:
    rec, entries = view.reconciliation, {e.id: e for e in view.entries}
    return ReconciliationOut(
        id=rec.public_id, patient_id=rec.patient.public_id, episode_id=view.episode.public_id if view.episode else None,
        status=rec.status, created_at=rec.created_at, completed_at=rec.completed_at,
        pre_admission=[entry_out(e) for e in view.entries if e.list == "pre"],
        discharge=[entry_out(e) for e in view.entries if e.list == "discharge"],
        discrepancies=[discrepancy_out(d, entries) for d in view.discrepancies])


@router.post("/episodes/{episode_id}/medication-reconciliation", response_model=ReconciliationOut,
             summary="Start (or reopen) the episode's reconciliation")
def start(episode_id: UUID, session: DbSession, actor: ApiActor) -> ReconciliationOut:
    """The pre-admission list is the chart's active medications; the one in progress is returned if any."""
    rec = service.start_for_episode(session, actor, episode_id)
    return reconciliation_out(service.view(session, actor, rec.public_id))


@router.get("/medication-reconciliations/{rec_id}", response_model=ReconciliationOut, summary="A reconciliation")
def get(rec_id: UUID, session: DbSession, actor: ApiActor) -> ReconciliationOut:
    return reconciliation_out(service.view(session, actor, rec_id))


@router.post("/medication-reconciliations/{rec_id}/discharge-entries", response_model=ReconciliationOut,
             status_code=status.HTTP_201_CREATED, summary="Add a medicine to the discharge list")
def add_entry(rec_id: UUID, body: EntryIn, session: DbSession, actor: ApiActor) -> ReconciliationOut:
    service.add_discharge_entry(session, actor, rec_id, body)
    return reconciliation_out(service.view(session, actor, rec_id))


@router.delete("/medication-reconciliations/{rec_id}/discharge-entries/{entry_id}",
               response_model=ReconciliationOut, summary="Remove a medicine from the discharge list")
def remove_entry(rec_id: UUID, entry_id: UUID, session: DbSession, actor: ApiActor) -> ReconciliationOut:
    service.remove_discharge_entry(session, actor, rec_id, entry_id)
    return reconciliation_out(service.view(session, actor, rec_id))


@router.put("/medication-reconciliations/{rec_id}/discrepancies/{discrepancy_id}", response_model=ReconciliationOut,
            summary="Resolve a discrepancy")
def resolve(rec_id: UUID, discrepancy_id: UUID, body: ResolveIn, session: DbSession,
            actor: ApiActor) -> ReconciliationOut:
    service.resolve(session, actor, rec_id, discrepancy_id, body)
    return reconciliation_out(service.view(session, actor, rec_id))


@router.post("/medication-reconciliations/{rec_id}/complete", response_model=ReconciliationOut,
             summary="Complete: the reconciled list becomes the active list")
def complete(rec_id: UUID, session: DbSession, actor: ApiActor) -> ReconciliationOut:
    return reconciliation_out(service.complete(session, actor, rec_id))
