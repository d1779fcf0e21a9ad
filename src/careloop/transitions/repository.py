"""Transition queries: episodes, their checklist, contacts, history and work, and readmissions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import NamedTuple
from uuid import UUID

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from careloop.errors import NotFound
from careloop.key_match import KeyLookup
from careloop.models import (
    ChecklistItem,
    ContactAttempt,
    Encounter,
    EncounterClass,
    EpisodeEvent,
    EpisodeStatus,
    PathwayWork,
    Readmission,
    Task,
    TransitionEpisode,
)


def get_or_raise(session: Session, public_id: UUID) -> TransitionEpisode:
    episode = session.scalar(select(TransitionEpisode).where(TransitionEpisode.public_id == public_id)
                             .options(joinedload(TransitionEpisode.patient)))
    if episode is None:
        raise NotFound(f"No transition episode {public_id}.")
    return episode


def by_id(session: Session, episode_id: int) -> TransitionEpisode | None:
    return session.scalar(select(TransitionEpisode).where(TransitionEpisode.id == episode_id)
                          .options(joinedload(TransitionEpisode.patient)))


def for_patient(session: Session, patient_id: int) -> Sequence[TransitionEpisode]:
    return session.scalars(select(TransitionEpisode).where(TransitionEpisode.patient_id == patient_id)
                           .order_by(TransitionEpisode.discharged_at.desc())).all()


def checklist(session: Session, episode_id: int) -> Sequence[ChecklistItem]:
    return session.scalars(select(ChecklistItem).where(ChecklistItem.episode_id == episode_id)
                           .options(joinedload(ChecklistItem.done_by)).order_by(ChecklistItem.id)).all()


def checklist_item(session: Session, episode_id: int, code: str) -> ChecklistItem | None:
    return session.scalar(select(ChecklistItem).where(ChecklistItem.episode_id == episode_id,
                                                      ChecklistItem.code == code))


def contacts(session: Session, episode_id: int) -> Sequence[ContactAttempt]:
    return session.scalars(select(ContactAttempt).where(ContactAttempt.episode_id == episode_id)
                           .options(joinedload(ContactAttempt.by)).order_by(ContactAttempt.at)).all()


def history(session: Session, episode_id: int) -> Sequence[EpisodeEvent]:
    return session.scalars(select(EpisodeEvent).where(EpisodeEvent.episode_id == episode_id)
                           .order_by(EpisodeEvent.id)).all()


def tasks(session: Session, event_key: str) -> Sequence[Task]:
    """The tasks the pathway created for the discharge that started the episode."""
    ids = select(PathwayWork.target_id).where(PathwayWork.event_key == event_key, PathwayWork.target_type == "task")
    return session.scalars(select(Task).where(Task.id.in_(ids)).options(
        joinedload(Task.patient), joinedload(Task.owner_user), joinedload(Task.owner_team)).order_by(Task.due_at)
    ).unique().all()


class InpatientStay(NamedTuple):
    """A finished inpatient stay, as the readmission and complexity rules read it."""

    id: int
    period_end: datetime
    discharge_disposition: str | None


# The inpatient stays of a batch's patients that ended since a time, in one statement: the pathway engine asks at
# each admission (is it a readmission?) and each discharge (TCM complexity). One seek a patient in the per-patient
# index (migration 0012): its key (patient, class) is in each OR term, so SQLite's planner (no statistics) cannot
# take the population-wide (class_code, period_end) index instead.
_INPATIENT_STAYS = KeyLookup(select(Encounter.patient_id, Encounter.id, Encounter.period_end,
                                    Encounter.discharge_disposition)
                             .where(Encounter.period_end >= bindparam("since", type_=Encounter.period_end.type)),
                             (Encounter.patient_id, Encounter.class_code))


def inpatient_stays(session: Session, patient_ids: Iterable[int], since: datetime) -> dict[int, list[InpatientStay]]:
    """Each patient's inpatient stays that ended at or after `since` (patients without one are absent)."""
    stays: dict[int, list[InpatientStay]] = {}
    keys = [(patient_id, EncounterClass.inpatient) for patient_id in sorted(set(patient_ids))]
    for patient_id, encounter_id, period_end, disposition in _INPATIENT_STAYS.rows(session, keys, {"since": since}):
        stays.setdefault(patient_id, []).append(InpatientStay(encounter_id, period_end, disposition))
    return stays


# What the pathway engine asks of a whole run of events at once (`service.StoredForRun`), on the driver's cursor:
# one statement each for the run, where a hospital feed asked them once a discharge or readmission, each a round
# trip.
_EPISODES_FOR_EVENTS = KeyLookup(select(TransitionEpisode.event_key, TransitionEpisode.id,
                                        TransitionEpisode.contact_due, TransitionEpisode.visit_due),
                                 (TransitionEpisode.event_key,))
# By the stays that can be an index (those in the run's look-back), not by patient: a patient's active episodes and
# links accumulate over the years, and a frequently admitted patient's were read whole at each of their events.
_ACTIVE_EPISODES_OF_ENCOUNTERS = KeyLookup(select(TransitionEpisode.encounter_id, TransitionEpisode.id),
                                           (TransitionEpisode.encounter_id, TransitionEpisode.status))
_LINKS_FROM_STAYS = KeyLookup(select(Readmission.index_encounter_id, Readmission.readmission_encounter_id,
                                     Readmission.id), (Readmission.index_encounter_id,))
_REASON_CODES = KeyLookup(select(Encounter.id, Encounter.reason_code), (Encounter.id,))


def clocks_for_events(session: Session, event_keys: Iterable[str]) -> dict[str, tuple[int, date, date]]:
    """The id and TCM deadlines of the episode each of these events started (its latest), if it started one."""
    clocks: dict[str, tuple[int, date, date]] = {}
    for key, episode_id, contact_due, visit_due in _EPISODES_FOR_EVENTS.rows(session, [(k,) for k in event_keys]):
        if key not in clocks or episode_id > clocks[key][0]:
            clocks[key] = (episode_id, contact_due, visit_due)
    return clocks


def active_episodes_by_encounter(session: Session, encounter_ids: Iterable[int]) -> dict[int, int]:
    """The active episode (the latest) of each of these encounters that has one."""
    latest: dict[int, int] = {}
    keys = [(encounter_id, EpisodeStatus.active) for encounter_id in sorted(set(encounter_ids))]
    for encounter_id, episode_id in _ACTIVE_EPISODES_OF_ENCOUNTERS.rows(session, keys):
        if episode_id > latest.get(encounter_id, 0):
            latest[encounter_id] = episode_id
    return latest


def links_from_stays(session: Session, index_ids: Iterable[int]) -> dict[tuple[int, int], int]:
    """The links whose index stay is one of these: (index stay, readmission) -> link."""
    return {(index_id, readmission_id): link_id for index_id, readmission_id, link_id
            in _LINKS_FROM_STAYS.rows(session, [(index_id,) for index_id in sorted(set(index_ids))])}


def reason_codes(session: Session, encounter_ids: Iterable[int]) -> dict[int, str | None]:
    """Each encounter's reason code (the planned-readmission rule reads it)."""
    return {encounter_id: code for encounter_id, code in _REASON_CODES.rows(session, [(e,) for e in encounter_ids])}


def readmissions_for_patient(session: Session, patient_id: int) -> Sequence[Readmission]:
    return session.scalars(select(Readmission).where(Readmission.patient_id == patient_id)
                           .order_by(Readmission.created_at.desc())).all()


def readmissions_for_episode(session: Session, episode_id: int) -> Sequence[Readmission]:
    return session.scalars(select(Readmission).where(Readmission.episode_id == episode_id)
                           .order_by(Readmission.created_at)).all()


def encounters(session: Session, ids: set[int]) -> dict[int, Encounter]:
    if not ids:
        return {}
    return {e.id: e for e in session.scalars(select(Encounter).where(Encounter.id.in_(ids)))}
