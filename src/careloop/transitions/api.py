"""Transition JSON routes: episodes (the TCM clock, checklist, contacts) and readmissions."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from careloop.clock import utcnow
from careloop.http.deps import ApiActor, DbSession
from careloop.transitions import service, views
from careloop.transitions.clock import local_date
from careloop.transitions.schemas import (
    ChecklistCode,
    ChecklistIn,
    ChecklistOut,
    ComplexityIn,
    ContactIn,
    ContactOut,
    EpisodeOut,
    PatientTransitions,
    VisitIn,
)

router = APIRouter(tags=["transitions"])


def _episode(session: DbSession, actor: ApiActor, episode_id: UUID) -> EpisodeOut:
    return views.episode_out(service.get_episode(session, actor, episode_id), local_date(utcnow()))


@router.get("/episodes/{episode_id}", response_model=EpisodeOut, summary="A transition episode")
def get_episode(episode_id: UUID, session: DbSession, actor: ApiActor) -> EpisodeOut:
    """The TCM clock (contact, visit, reconciliation: due, met, state), checklist, contacts, tasks, readmissions."""
    return _episode(session, actor, episode_id)


@router.get("/patients/{patient_id}/transitions", response_model=PatientTransitions,
            summary="A patient's transition episodes and readmissions")
def patient_transitions(patient_id: UUID, session: DbSession, actor: ApiActor) -> PatientTransitions:
    episodes, links, encounters = service.patient_transitions(session, actor, patient_id)
    today = local_date(utcnow())
    by_id = {e.id: e for e in episodes}
    return PatientTransitions(episodes=[views.summary(e, today) for e in episodes],
                              readmissions=[views.readmission_out(r, encounters, patient_id, by_id)
                                            for r in links])


@router.post("/episodes/{episode_id}/contacts", response_model=ContactOut, status_code=status.HTTP_201_CREATED,
             summary="Record a contact or an attempt")
def record_contact(episode_id: UUID, body: ContactIn, session: DbSession, actor: ApiActor) -> ContactOut:
    """Reaching the patient or caregiver in time, or two timely failed attempts, meets the 2-business-day
    contact and completes the episode's contact task."""
    return views.contact_out(service.record_contact(session, actor, episode_id, body))


@router.put("/episodes/{episode_id}/checklist/{code}", response_model=ChecklistOut, summary="Tick a checklist item")
def set_checklist(episode_id: UUID, code: ChecklistCode, body: ChecklistIn, session: DbSession,
                  actor: ApiActor) -> ChecklistOut:
    item = service.set_checklist(session, actor, episode_id, code, body)
    session.refresh(item, ["done_by"])
    return views.checklist_out(item)


@router.put("/episodes/{episode_id}/complexity", response_model=EpisodeOut, summary="Set the TCM complexity")
def set_complexity(episode_id: UUID, body: ComplexityIn, session: DbSession, actor: ApiActor) -> EpisodeOut:
    service.set_complexity(session, actor, episode_id, body)
    return _episode(session, actor, episode_id)


@router.post("/episodes/{episode_id}/visit", response_model=EpisodeOut, summary="Record the face-to-face visit")
def record_visit(episode_id: UUID, body: VisitIn, session: DbSession, actor: ApiActor) -> EpisodeOut:
    service.record_visit(session, actor, episode_id, body)
    return _episode(session, actor, episode_id)
