"""Transition use cases: the pathway starts and voids episodes and links readmissions (as the system); people
read an episode, record contacts, tick the checklist, set the complexity and record the visit."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple
from uuid import UUID

from sqlalchemy.orm import Session

from careloop import access
from careloop.access import Actor, PatientRef, Permission
from careloop.clock import utcnow
from careloop.errors import Conflict, InvalidInput, NotFound
from careloop.models import (
    ChecklistItem,
    ContactAttempt,
    Encounter,
    EpisodeEvent,
    EpisodeStatus,
    Patient,
    Readmission,
    Task,
    TaskStatus,
    TransitionEpisode,
)
from careloop.pathways.schemas import EncounterEvent
from careloop.patients import repository as patients_repo
from careloop.pending_inserts import PendingInserts
from careloop.public_ids import new_public_id
from careloop.tasks import service as tasks_service
from careloop.tasks.schemas import TaskType, TaskUpdate
from careloop.tasks.workflow import OPEN_STATUSES
from careloop.transitions import complexity as complexity_rule
from careloop.transitions import readmission as readmission_rule
from careloop.transitions import repository as repo
from careloop.transitions import tcm
from careloop.transitions.clock import end_of_local_day, holidays, local_date
from careloop.transitions.schemas import (
    ChecklistCode,
    ChecklistIn,
    ComplexityIn,
    ContactIn,
    ContactOutcome,
    VisitIn,
)

CLOCK_SKEW = timedelta(minutes=5)


# ---- done by the pathway (the system actor) -----------------------------------------------------------------------

class EpisodeClock(NamedTuple):
    """An episode's id and TCM deadlines: what the pathway's tasks due on its clock need of it."""

    id: int
    contact_due: date
    visit_due: date


class StoredForRun:
    """What the database holds of a run of the pathway engine's events (their episodes, the active episodes and
    readmission links of the stays that can be an index, their encounters' reason codes), each read once for the
    whole run on first use instead of once an event; asked about anything outside the run, it asks the database for
    that alone.

    `index_candidates`: the encounters of the run's patients' inpatient stays in its look-back (the pathway engine's
    patient facts), the only stays a readmission link can start from.

    The run's own work is not written until the run ends (`Unwritten` has it), so what is read at its first use is
    what each event would have read on its own."""

    def __init__(self, session: Session, events: Sequence[EncounterEvent],
                 index_candidates: Callable[[], Iterable[int]] = tuple) -> None:
        self._session = session
        self._event_keys = {event.event_key for event in events}
        self._encounter_ids = {event.encounter_id for event in events if event.encounter_id is not None}
        self._index_candidates = index_candidates
        self._candidates: set[int] | None = None
        self._clocks: dict[str, tuple[int, date, date]] | None = None
        self._active: dict[int, int] | None = None
        self._links: dict[tuple[int, int], int] | None = None
        self._reasons: dict[int, str | None] | None = None

    def clock_for_event(self, event_key: str) -> EpisodeClock | None:
        if event_key not in self._event_keys:
            row = repo.clocks_for_events(self._session, [event_key]).get(event_key)
        else:
            if self._clocks is None:
                self._clocks = repo.clocks_for_events(self._session, sorted(self._event_keys))
            row = self._clocks.get(event_key)
        return EpisodeClock(*row) if row is not None else None

    def active_episode(self, encounter_id: int) -> int | None:
        """The latest active episode of an encounter."""
        if encounter_id not in self._candidate_ids():
            return repo.active_episodes_by_encounter(self._session, [encounter_id]).get(encounter_id)
        if self._active is None:
            self._active = repo.active_episodes_by_encounter(self._session, self._candidate_ids())
        return self._active.get(encounter_id)

    def link(self, index_id: int, readmission_id: int) -> int | None:
        """The link of two stays, if they are linked."""
        if index_id not in self._candidate_ids():
            return repo.links_from_stays(self._session, [index_id]).get((index_id, readmission_id))
        if self._links is None:
            self._links = repo.links_from_stays(self._session, self._candidate_ids())
        return self._links.get((index_id, readmission_id))

    def _candidate_ids(self) -> set[int]:
        if self._candidates is None:
            self._candidates = set(self._index_candidates())
        return self._candidates

    def reason_code(self, encounter_id: int) -> str | None:
        if encounter_id not in self._encounter_ids:
            return repo.reason_codes(self._session, [encounter_id]).get(encounter_id)
        if self._reasons is None:
            self._reasons = repo.reason_codes(self._session, sorted(self._encounter_ids))
        return self._reasons.get(encounter_id)


@dataclass
class Unwritten:
    """The episodes and readmission links a batch writer (the pathway engine's run of events) has made and not yet
    written (their rows wait in its pending inserts, under keys reserved at once): later events of the batch find
    them here as they would find them in the database; `stored` is what the database held before the run."""

    stored: StoredForRun
    episodes_by_event: dict[str, EpisodeClock] = field(default_factory=dict)
    active_episode_by_encounter: dict[int, int] = field(default_factory=dict)  # the latest, as the database's read
    links: dict[tuple[int, int], int] = field(default_factory=dict)  # (index stay, readmission) -> link


def episode_clock_for_event(event_key: str, unwritten: Unwritten) -> EpisodeClock | None:
    if (made := unwritten.episodes_by_event.get(event_key)) is not None:
        return made
    return unwritten.stored.clock_for_event(event_key)


def start_episode(session: Session, actor: Actor, event: EncounterEvent, patient: PatientRef, *, pathway: str,
                  version: int, into: PendingInserts, unwritten: Unwritten,
                  active_icd10: Iterable[str] | None = None,
                  stays: Sequence[repo.InpatientStay] | None = None) -> EpisodeClock:
    """A discharge to a community setting starts the TCM clock (see tcm.py for the rules and their source).

    Done by the pathway engine in its batch: the episode (as a row, under a key reserved now), its audit row, its
    checklist and its first history row join the batch's pending inserts, written when the batch's events are
    done, in the same transaction; `unwritten` lets the batch's later events find the episode meanwhile.
    `active_icd10`, `stays`: the patient's active diagnoses and finished inpatient stays, when the caller has read
    them already (the engine reads them for its whole batch at once); read here otherwise."""
    existing = episode_clock_for_event(event.event_key, unwritten)
    if existing is not None:
        return existing
    discharged_at = event.discharged_at or event.occurred_at
    level, why = complexity_rule.choose(session, patient.id, event.admitted_at, event.encounter_id,
                                        active_icd10=active_icd10, stays=stays)
    clock = tcm.clock(local_date(discharged_at), level, holidays())
    public_id = new_public_id()
    access.require(session, actor, Permission.patient_write, patient, action="episode.start",
                   entity_type="episode", entity_id=str(public_id), audit_into=into)
    episode_id = into.add_row(session, TransitionEpisode, {
        "public_id": public_id, "patient_id": patient.id, "encounter_id": event.encounter_id,
        "event_key": event.event_key, "pathway": pathway, "pathway_version": version, "status": EpisodeStatus.active,
        "facility": event.facility, "from_class": event.encounter_class.value if event.encounter_class else "inpatient",
        "discharge_disposition": event.discharge_disposition, "discharged_at": discharged_at,
        "discharge_date": clock.discharge_date, "complexity": level.value, "complexity_reason": why,
        "contact_due": clock.contact_due, "visit_due": clock.visit_due, "period_end": clock.period_end,
        "created_at": utcnow()})
    for code in ChecklistCode:
        into.add(ChecklistItem, {"episode_id": episode_id, "code": code.value})
    _log(session, episode_id, actor, "started", f"{pathway} v{version}; complexity {level.value}: {why}", into=into)
    started = EpisodeClock(episode_id, clock.contact_due, clock.visit_due)
    unwritten.episodes_by_event[event.event_key] = started
    if event.encounter_id is not None:
        unwritten.active_episode_by_encounter[event.encounter_id] = episode_id
    return started


def mark_entered_in_error(session: Session, actor: Actor, episode_id: int, reason: str) -> None:
    episode = repo.by_id(session, episode_id)
    if episode is None or episode.status is EpisodeStatus.entered_in_error:
        return
    access.require(session, actor, Permission.patient_write, episode.patient, action="episode.entered_in_error",
                   entity_type="episode", entity_id=str(episode.public_id))
    episode.status, episode.status_reason, episode.closed_at = EpisodeStatus.entered_in_error, reason[:300], utcnow()
    _log(session, episode.id, actor, "entered-in-error", reason)


def link_readmission(session: Session, actor: Actor, event: EncounterEvent, patient: PatientRef, *,
                     within_days: int = 30, into: PendingInserts, unwritten: Unwritten,
                     stays: Sequence[repo.InpatientStay] | None = None) -> int | None:
    """Link this inpatient admission to the stay it follows within `within_days` (readmission.py has the rule);
    the link's id (an earlier one's if the two stays were linked already), or None when it follows none.

    Done by the pathway engine in its batch, as start_episode: the link, its audit row and the episode's history
    row wait for the batch's end; `unwritten` holds the links and episodes the batch made before this event.
    `stays`: the patient's finished inpatient stays, if the caller has read them (the engine, for its batch)."""
    if event.encounter_id is None:
        return None
    admitted_at = event.admitted_at or event.occurred_at
    if stays is None:
        since = admitted_at - timedelta(days=within_days)
        stays = repo.inpatient_stays(session, [event.patient_id], since).get(event.patient_id, [])
    index = readmission_rule.index_stay(stays, admitted_at, within=timedelta(days=within_days),
                                        exclude_encounter_id=event.encounter_id)
    if index is None:
        return None
    pair = (index.id, event.encounter_id)
    existing = unwritten.links.get(pair) or unwritten.stored.link(*pair)
    if existing is not None:
        return existing
    why = readmission_rule.planned_reason(event.admission_type, unwritten.stored.reason_code(event.encounter_id))
    episode_id = (unwritten.active_episode_by_encounter.get(index.id)
                  or unwritten.stored.active_episode(index.id))
    days = (local_date(admitted_at) - local_date(index.period_end)).days
    public_id = new_public_id()
    access.require(session, actor, Permission.patient_write, patient, action="readmission.link",
                   entity_type="readmission", entity_id=str(public_id), audit_into=into)
    link_id = into.add_row(session, Readmission, {
        "public_id": public_id, "patient_id": patient.id, "index_encounter_id": index.id,
        "readmission_encounter_id": event.encounter_id, "episode_id": episode_id, "days_after_discharge": days,
        "planned": why is not None, "planned_reason": why, "event_key": event.event_key, "created_at": utcnow()})
    unwritten.links[pair] = link_id
    if episode_id is not None:
        kind = "planned" if why else "unplanned"
        _log(session, episode_id, actor, "readmitted",
             f"{kind} admission {days} days after discharge" + (f" ({why})" if why else ""), into=into)
    return link_id


def unlink_readmission(session: Session, actor: Actor, link_id: int, reason: str) -> None:
    link = session.get(Readmission, link_id)
    if link is None or link.status == "entered-in-error":
        return
    patient = _patient(session, link.patient_id)
    access.require(session, actor, Permission.patient_write, patient, action="readmission.entered_in_error",
                   entity_type="readmission", entity_id=str(link.public_id))
    link.status = "entered-in-error"


# ---- done by people ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EpisodeDetail:
    episode: TransitionEpisode
    checklist: Sequence[ChecklistItem]
    contacts: Sequence[ContactAttempt]
    history: Sequence[EpisodeEvent]
    tasks: Sequence[Task]
    readmissions: Sequence[Readmission]
    encounters: dict[int, Encounter]


def get_episode(session: Session, actor: Actor, episode_id: UUID) -> EpisodeDetail:
    episode = _episode(session, actor, episode_id, Permission.patient_read, "episode.read")
    links = repo.readmissions_for_episode(session, episode.id)
    ids = {i for r in links for i in (r.index_encounter_id, r.readmission_encounter_id)}
    return EpisodeDetail(episode, repo.checklist(session, episode.id), repo.contacts(session, episode.id),
                         repo.history(session, episode.id), repo.tasks(session, episode.event_key), links,
                         repo.encounters(session, ids))


def patient_transitions(session: Session, actor: Actor, patient_id: UUID
                        ) -> tuple[Sequence[TransitionEpisode], Sequence[Readmission], dict[int, Encounter]]:
    patient = patients_repo.get_or_raise(session, patient_id)
    access.require(session, actor, Permission.patient_read, patient, action="transitions.read")
    return transitions_of(session, patient.id)


def transitions_of(session: Session, patient_id: int
                   ) -> tuple[Sequence[TransitionEpisode], Sequence[Readmission], dict[int, Encounter]]:
    """For a caller that has already checked access to the patient (the patient page)."""
    links = repo.readmissions_for_patient(session, patient_id)
    ids = {i for r in links for i in (r.index_encounter_id, r.readmission_encounter_id)}
    return repo.for_patient(session, patient_id), links, repo.encounters(session, ids)


def record_contact(session: Session, actor: Actor, episode_id: UUID, data: ContactIn) -> ContactAttempt:
    episode = _open_episode(session, actor, episode_id, "episode.contact")
    now = utcnow()
    at = data.at or now
    if at > now + CLOCK_SKEW:
        raise InvalidInput("A contact cannot be recorded in the future.")
    if at < episode.discharged_at - CLOCK_SKEW:
        raise InvalidInput("A contact before the discharge is not part of this transition.")
    attempt = ContactAttempt(public_id=new_public_id(), episode_id=episode.id, at=at, by_id=actor.user_id,
                             method=data.method.value, with_whom=data.with_whom.value, outcome=data.outcome.value,
                             note=data.note)
    session.add(attempt)
    session.flush()
    _log(session, episode.id, actor, "contact",
         f"{data.method.value} with {data.with_whom.value}: {data.outcome.value}")
    _check_contact_requirement(session, actor, episode)
    return attempt


def _check_contact_requirement(session: Session, actor: Actor, episode: TransitionEpisode) -> None:
    if episode.contact_met_at is not None:
        return
    attempts = repo.contacts(session, episode.id)
    met = tcm.contact_requirement_met(
        ((local_date(a.at), a.outcome == ContactOutcome.reached.value) for a in attempts), episode.contact_due)
    if met is None:
        return
    episode.contact_met_at, episode.contact_met_by = attempts[-1].at, met
    note = ("interactive contact made" if met == "reached"
            else "two documented timely attempts failed; the contact element is met (CMS TCM FAQ)")
    _log(session, episode.id, actor, "contact-requirement-met", note)
    _complete_tasks(session, actor, episode, TaskType.follow_up_call, note)


def set_checklist(session: Session, actor: Actor, episode_id: UUID, code: ChecklistCode,
                  data: ChecklistIn) -> ChecklistItem:
    if code is ChecklistCode.medications_reconciled:
        raise InvalidInput("Medications are marked reconciled by completing the medication reconciliation.")
    episode = _open_episode(session, actor, episode_id, "episode.checklist")
    return tick(session, actor, episode, code, done=data.done, note=data.note)


def tick(session: Session, actor: Actor, episode: TransitionEpisode, code: ChecklistCode, *, done: bool,
         note: str | None) -> ChecklistItem:
    item = repo.checklist_item(session, episode.id, code.value)
    if item is None:
        raise Conflict(f"This episode has no checklist item {code.value}.")
    item.done_at, item.done_by_id = (utcnow(), actor.user_id) if done else (None, None)
    item.note = note
    _log(session, episode.id, actor, "checked" if done else "unchecked",
         f"{code.value}" + (f": {note}" if note else ""))
    session.flush()
    return item


def set_complexity(session: Session, actor: Actor, episode_id: UUID, data: ComplexityIn) -> TransitionEpisode:
    episode = _open_episode(session, actor, episode_id, "episode.complexity")
    clock = tcm.clock(episode.discharge_date, data.complexity, holidays())
    episode.complexity, episode.complexity_reason = data.complexity.value, data.reason
    episode.visit_due = clock.visit_due
    _log(session, episode.id, actor, "complexity",
         f"{data.complexity.value} (visit by {clock.visit_due}): {data.reason}")
    for task in repo.tasks(session, episode.event_key):
        if task.type in (TaskType.appointment, TaskType.med_review) and task.status in OPEN_STATUSES:
            tasks_service.update_task(session, actor, task.public_id, TaskUpdate(
                version=task.version, due_at=end_of_local_day(clock.visit_due), note="TCM complexity changed"))
    return episode


def record_visit(session: Session, actor: Actor, episode_id: UUID, data: VisitIn) -> TransitionEpisode:
    episode = _open_episode(session, actor, episode_id, "episode.visit")
    if data.at < episode.discharged_at:
        raise InvalidInput("The face-to-face visit must be after the discharge.")
    episode.visit_at = data.at
    _log(session, episode.id, actor, "visit", f"face-to-face visit on {local_date(data.at)}")
    _complete_tasks(session, actor, episode, TaskType.appointment, "face-to-face visit recorded")
    return episode


def medications_reconciled(session: Session, actor: Actor, episode: TransitionEpisode, note: str) -> None:
    """Called by the reconciliation when it completes: the checklist item and the episode's clock."""
    episode.medrec_completed_at = utcnow()
    tick(session, actor, episode, ChecklistCode.medications_reconciled, done=True, note=note)
    _complete_tasks(session, actor, episode, TaskType.med_review, note)


def _complete_tasks(session: Session, actor: Actor, episode: TransitionEpisode, kind: TaskType, note: str) -> None:
    """The episode's own tasks of this kind are done (taken first if they were queued to a role or team)."""
    for task in repo.tasks(session, episode.event_key):
        if task.type != kind.value or task.status not in OPEN_STATUSES or task.status is TaskStatus.on_hold:
            continue
        if task.owner_user_id != actor.user_id and task.status in (TaskStatus.requested, TaskStatus.received):
            task = tasks_service.claim(session, actor, task.public_id, task.version)
        tasks_service.transition(session, actor, task.public_id, "complete", version=task.version, note=note)


def _episode(session: Session, actor: Actor, episode_id: UUID, permission: Permission,
             action: str) -> TransitionEpisode:
    episode = repo.get_or_raise(session, episode_id)
    access.require(session, actor, permission, episode.patient, action=action, entity_type="episode",
                   entity_id=str(episode.public_id))
    return episode


def _open_episode(session: Session, actor: Actor, episode_id: UUID, action: str) -> TransitionEpisode:
    episode = _episode(session, actor, episode_id, Permission.task_write, action)
    if episode.status is not EpisodeStatus.active:
        raise Conflict(f"This episode is {episode.status.value}; it can no longer be changed.")
    return episode


def _log(session: Session, episode_id: int, actor: Actor, action: str, note: str | None, *,
         into: PendingInserts | None = None) -> None:
    row = {"episode_id": episode_id, "at": utcnow(), "actor_id": actor.user_id, "actor_name": actor.display_name,
           "action": action, "note": note[:1000] if note else None}
    if into is not None:
        into.add(EpisodeEvent, row)
        return
    session.add(EpisodeEvent(**row))


def _patient(session: Session, patient_id: int) -> Patient:
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"No patient {patient_id}.")
    return patient
