"""Shapes of episodes and readmissions for the API and the pages (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from uuid import UUID

from sqlalchemy.orm import Session

from careloop.access import PatientRef
from careloop.clock import utcnow
from careloop.models import ChecklistItem, ContactAttempt, Encounter, Readmission, Task, TransitionEpisode
from careloop.transitions import service
from careloop.transitions.clock import local_date
from careloop.transitions.schemas import (
    CHECKLIST_LABELS,
    ChecklistCode,
    ChecklistOut,
    ContactOut,
    Deadline,
    EpisodeOut,
    EpisodeSummary,
    PatientTransitions,
    ReadmissionOut,
    TaskRef,
)
from careloop.transitions.tcm import Complexity


def deadline(due: date, met_at: datetime | None, today: date) -> Deadline:
    if met_at is not None:
        return Deadline(due=due, met_at=met_at, state="met" if local_date(met_at) <= due else "late")
    return Deadline(due=due, met_at=None, state="overdue" if today > due else "open")


def summary(episode: TransitionEpisode, today: date) -> EpisodeSummary:
    return EpisodeSummary(**_summary_fields(episode, today))


def _summary_fields(episode: TransitionEpisode, today: date) -> dict[str, object]:
    return {
        "id": episode.public_id, "status": episode.status.value, "facility": episode.facility,
        "discharged_at": episode.discharged_at, "discharge_disposition": episode.discharge_disposition,
        "complexity": Complexity(episode.complexity),
        "contact": deadline(episode.contact_due, episode.contact_met_at, today),
        "visit": deadline(episode.visit_due, episode.visit_at, today),
        # due by the visit: the visit's date once it happened, its deadline until then
        "medication_reconciliation": deadline(local_date(episode.visit_at) if episode.visit_at else episode.visit_due,
                                              episode.medrec_completed_at, today),
    }


def checklist_out(item: ChecklistItem) -> ChecklistOut:
    code = ChecklistCode(item.code)
    return ChecklistOut(code=code, label=CHECKLIST_LABELS[code], done=item.done_at is not None, done_at=item.done_at,
                        done_by=item.done_by.display_name if item.done_by else None, note=item.note)


def contact_out(attempt: ContactAttempt) -> ContactOut:
    return ContactOut(id=attempt.public_id, at=attempt.at, method=attempt.method, with_whom=attempt.with_whom,
                      outcome=attempt.outcome, by=attempt.by.display_name if attempt.by else None, note=attempt.note)


def task_ref(task: Task) -> TaskRef:
    return TaskRef(id=task.public_id, title=task.title, type=task.type, status=task.status.value, due_at=task.due_at)


def readmission_out(link: Readmission, encounters: Mapping[int, Encounter], patient_public_id: UUID,
                    episodes: Mapping[int, TransitionEpisode]) -> ReadmissionOut:
    index, again = encounters[link.index_encounter_id], encounters[link.readmission_encounter_id]
    episode = episodes.get(link.episode_id) if link.episode_id else None
    return ReadmissionOut(
        id=link.public_id, patient_id=patient_public_id, index_encounter_id=index.public_id,
        readmission_encounter_id=again.public_id, index_discharged_at=index.period_end,
        readmitted_at=again.period_start, days_after_discharge=link.days_after_discharge, planned=link.planned,
        planned_reason=link.planned_reason, episode_id=episode.public_id if episode else None, status=link.status)


def episode_out(detail: service.EpisodeDetail, today: date) -> EpisodeOut:
    episode = detail.episode
    return EpisodeOut(
        **_summary_fields(episode, today), patient_id=episode.patient.public_id, pathway=episode.pathway,
        pathway_version=episode.pathway_version, status_reason=episode.status_reason, from_class=episode.from_class,
        discharge_date=episode.discharge_date, complexity_reason=episode.complexity_reason,
        period_end=episode.period_end, contact_met_by=episode.contact_met_by,
        checklist=[checklist_out(i) for i in _ordered(detail.checklist)],
        contacts=[contact_out(c) for c in detail.contacts], tasks=[task_ref(t) for t in detail.tasks],
        readmissions=[readmission_out(r, detail.encounters, episode.patient.public_id, {episode.id: episode})
                      for r in detail.readmissions])


def _ordered(items: Sequence[ChecklistItem]) -> list[ChecklistItem]:
    order = {code.value: i for i, code in enumerate(ChecklistCode)}
    return sorted(items, key=lambda item: order.get(item.code, len(order)))


def for_chart(session: Session, patient: PatientRef) -> PatientTransitions | None:
    """The patient page's card (the page has checked access to the patient); None when there is nothing to show."""
    episodes, links, encounters = service.transitions_of(session, patient.id)
    if not episodes and not links:
        return None
    by_id, today = {e.id: e for e in episodes}, local_date(utcnow())
    return PatientTransitions(episodes=[summary(e, today) for e in episodes],
                              readmissions=[readmission_out(r, encounters, patient.public_id, by_id) for r in links])
