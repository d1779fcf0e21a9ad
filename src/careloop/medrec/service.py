"""Reconciliation use cases: start one for a transition episode (the pre-admission list comes from the chart),
enter the discharge list, resolve each discrepancy with a reason, and complete it: the reconciled list becomes
the patient's active medication list (orders that no longer apply are stopped, never deleted) and the
episode's checklist item is done."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from careloop import access, audit
from careloop.access import Actor, Permission
from careloop.clock import utcnow
from careloop.errors import Conflict, InvalidInput
from careloop.medrec import compare, final_list, ingredients
from careloop.medrec import repository as repo
from careloop.medrec.schemas import EntryIn, Resolution, ResolveIn
from careloop.models import (
    CareTeamMember,
    CareTeamRole,
    MedicationRequest,
    MedicationRequestStatus,
    MedRecDiscrepancy,
    MedRecEntry,
    MedReconciliation,
    Patient,
    Task,
    TransitionEpisode,
)
from careloop.patients import repository as patients_repo
from careloop.public_ids import new_public_id
from careloop.tasks import service as tasks_service
from careloop.tasks.schemas import TaskCreate, TaskOwnerIn, TaskType
from careloop.transitions import repository as episodes_repo
from careloop.transitions import service as transitions

IN_PROGRESS, COMPLETED = "in-progress", "completed"
PRESCRIBER_ROLES = (CareTeamRole.primary_care_physician, CareTeamRole.rn_care_manager, CareTeamRole.care_coordinator)


@dataclass(frozen=True)
class ReconciliationView:
    reconciliation: MedReconciliation
    episode: TransitionEpisode | None
    entries: Sequence[MedRecEntry]
    discrepancies: Sequence[MedRecDiscrepancy]


def start_for_episode(session: Session, actor: Actor, episode_id: UUID) -> MedReconciliation:
    """The episode's reconciliation in progress, or a new one whose pre-admission list is the chart's."""
    episode = episodes_repo.get_or_raise(session, episode_id)
    access.require(session, actor, Permission.patient_write, episode.patient, action="medrec.start",
                   entity_type="episode", entity_id=str(episode.public_id))
    current = repo.for_episode(session, episode.id)
    if current is not None and current.status == IN_PROGRESS:
        return current
    if episode.status.value != "active":
        raise Conflict(f"This episode is {episode.status.value}; start no new reconciliation on it.")
    rec = MedReconciliation(public_id=new_public_id(), patient_id=episode.patient_id, patient=episode.patient,
                            episode_id=episode.id, status=IN_PROGRESS, created_at=utcnow(),
                            created_by_id=actor.user_id)
    session.add(rec)
    session.flush()
    for order in patients_repo.active_medications(session, episode.patient_id):
        session.add(_entry_from_chart(rec, order))
    session.flush()
    _refresh(session, rec)
    return rec


def _entry_from_chart(rec: MedReconciliation, order: MedicationRequest) -> MedRecEntry:
    product = ingredients.product(order.rxnorm) or ingredients.unmapped(order.rxnorm, order.display)
    return MedRecEntry(public_id=new_public_id(), reconciliation_id=rec.id, list="pre", rxnorm=order.rxnorm,
                       display=order.display[:300], ingredient_rxcui=product.ingredient_rxcui[:16],
                       ingredient=product.ingredient[:100], dose=product.strength or None,
                       frequency=(order.dosage_text or "")[:60] or None, route=product.route or None,
                       source_request_id=order.id)


def view(session: Session, actor: Actor, rec_id: UUID) -> ReconciliationView:
    rec = _reconciliation(session, actor, rec_id, Permission.patient_read, "medrec.read")
    return _view(session, rec)


def _view(session: Session, rec: MedReconciliation) -> ReconciliationView:
    episode = episodes_repo.by_id(session, rec.episode_id) if rec.episode_id else None
    return ReconciliationView(rec, episode, repo.entries(session, rec.id), repo.discrepancies(session, rec.id))


def add_discharge_entry(session: Session, actor: Actor, rec_id: UUID, data: EntryIn) -> MedRecEntry:
    rec = _open(session, actor, rec_id, "medrec.entry.add")
    product = ingredients.product(data.rxnorm)
    if product is None:
        raise InvalidInput(f"RxNorm {data.rxnorm} is not in careloop's ingredient table "
                           "(careloop/medrec/data/rxnorm_ingredients.csv); choose a listed product or add it there.")
    entry = MedRecEntry(public_id=new_public_id(), reconciliation_id=rec.id, list="discharge", rxnorm=product.rxcui,
                        display=product.name, ingredient_rxcui=product.ingredient_rxcui, ingredient=product.ingredient,
                        dose=data.dose or product.strength, frequency=data.frequency, route=data.route or product.route,
                        stop=data.stop)
    session.add(entry)
    session.flush()
    _refresh(session, rec)
    return entry


def remove_discharge_entry(session: Session, actor: Actor, rec_id: UUID, entry_id: UUID) -> None:
    rec = _open(session, actor, rec_id, "medrec.entry.remove")
    entry = repo.entry_or_raise(session, rec.id, entry_id)
    if entry.list != "discharge":
        raise InvalidInput("The pre-admission list comes from the chart; only discharge entries can be removed.")
    session.execute(delete(MedRecDiscrepancy).where(MedRecDiscrepancy.discharge_entry_id == entry.id))
    session.delete(entry)
    session.flush()
    _refresh(session, rec)


def _refresh(session: Session, rec: MedReconciliation) -> None:
    """Compare the lists again; a discrepancy found again keeps its resolution, one gone is removed."""
    entries = repo.entries(session, rec.id)
    lines = {name: [_line(e) for e in entries if e.list == name] for name in ("pre", "discharge")}
    fresh = compare.compare(lines["pre"], lines["discharge"])
    existing = {(d.kind, d.pre_entry_id, d.discharge_entry_id, d.detail): d
                for d in repo.discrepancies(session, rec.id)}
    wanted = {(f.kind.value, f.pre, f.discharge, f.detail): f for f in fresh}
    for key, old in existing.items():
        if key not in wanted:
            session.delete(old)
    for key, found in wanted.items():
        if key not in existing:
            session.add(MedRecDiscrepancy(public_id=new_public_id(), reconciliation_id=rec.id, kind=found.kind.value,
                                          ingredient=found.ingredient[:100], pre_entry_id=found.pre,
                                          discharge_entry_id=found.discharge, detail=found.detail[:300]))
    session.flush()


def _line(entry: MedRecEntry) -> compare.Line:
    product = ingredients.product(entry.rxnorm)
    return compare.Line(entry.id, entry.ingredient_rxcui, entry.ingredient, product.drug_class if product else "",
                        entry.dose, entry.frequency, entry.route, entry.stop)


def resolve(session: Session, actor: Actor, rec_id: UUID, discrepancy_id: UUID, data: ResolveIn) -> MedRecDiscrepancy:
    rec = _open(session, actor, rec_id, "medrec.resolve")
    found = repo.discrepancy_or_raise(session, rec.id, discrepancy_id)
    found.resolution, found.reason = data.resolution.value, data.reason
    found.new_dose, found.new_frequency, found.new_route = data.new_dose, data.new_frequency, data.new_route
    found.resolved_by_id, found.resolved_at = actor.user_id, utcnow()
    if data.resolution is Resolution.ask_prescriber and found.task_id is None:
        found.task_id = _ask_prescriber(session, actor, rec.patient, found).id
    session.flush()
    return found


def _ask_prescriber(session: Session, actor: Actor, patient: Patient, found: MedRecDiscrepancy) -> Task:
    held = set(session.scalars(select(CareTeamMember.role).where(
        CareTeamMember.patient_id == patient.id, CareTeamMember.period_end.is_(None))))
    role = next((r for r in PRESCRIBER_ROLES if r in held), PRESCRIBER_ROLES[0])
    return tasks_service.create_task(session, actor, patient.public_id, TaskCreate(
        type=TaskType.med_review, title=f"Ask the prescriber about {found.ingredient} ({found.kind})"[:200],
        description=f"Medication reconciliation: {found.detail}. {found.reason or ''}".strip(),
        owner=TaskOwnerIn(role=role)))


def complete(session: Session, actor: Actor, rec_id: UUID) -> ReconciliationView:
    rec = _open(session, actor, rec_id, "medrec.complete")
    found = list(repo.discrepancies(session, rec.id))
    open_ones = [d for d in found if d.resolution is None]
    if open_ones:
        raise Conflict(f"{len(open_ones)} discrepancies are not resolved yet ("
                       f"{', '.join(sorted({d.ingredient for d in open_ones}))}).")
    reconciled = final_list.reconcile(list(repo.entries(session, rec.id)), found)
    stopped, started = _make_active(session, rec, reconciled, actor)
    rec.status, rec.completed_at, rec.completed_by_id = COMPLETED, utcnow(), actor.user_id
    audit.record(session, actor, "medrec.apply", patient_id=rec.patient_id, entity_type="medication-reconciliation",
                 entity_id=str(rec.public_id), detail={"stopped": stopped, "started": started})
    episode = episodes_repo.by_id(session, rec.episode_id) if rec.episode_id else None
    if episode is not None and episode.status.value == "active":
        transitions.medications_reconciled(session, actor, episode, f"{len(found)} discrepancies resolved; "
                                           f"{started} orders started, {stopped} stopped")
    session.flush()
    return _view(session, rec)


def _make_active(session: Session, rec: MedReconciliation, reconciled: list[final_list.Reconciled],
                 actor: Actor) -> tuple[int, int]:
    """Stop the chart's orders the reconciled list does not keep as they are; add the ones it changes or adds."""
    kept = {r.entry.source_request_id for r in reconciled if r.unchanged_chart_order}
    now, stopped = utcnow(), 0
    for order in patients_repo.active_medications(session, rec.patient_id):
        if order.id not in kept:
            order.status = MedicationRequestStatus.stopped
            stopped += 1
    fresh = [r for r in reconciled if not r.unchanged_chart_order]
    for item in fresh:
        session.add(MedicationRequest(
            public_id=new_public_id(), patient_id=rec.patient_id, rxnorm=item.entry.rxnorm, display=item.entry.display,
            status=MedicationRequestStatus.active, intent="order", authored_on=now,
            dosage_text=", ".join(p for p in (item.dose, item.route, item.frequency) if p)[:300],
            prescriber=f"medication reconciliation ({actor.display_name})"[:200]))
    return stopped, len(fresh)


def _reconciliation(session: Session, actor: Actor, rec_id: UUID, permission: Permission,
                    action: str) -> MedReconciliation:
    rec = repo.get_or_raise(session, rec_id)
    access.require(session, actor, permission, rec.patient, action=action, entity_type="medication-reconciliation",
                   entity_id=str(rec.public_id))
    return rec


def _open(session: Session, actor: Actor, rec_id: UUID, action: str) -> MedReconciliation:
    rec = _reconciliation(session, actor, rec_id, Permission.patient_write, action)
    if rec.status != IN_PROGRESS:
        raise Conflict("This reconciliation is completed; start a new one to change the list again.")
    return rec
