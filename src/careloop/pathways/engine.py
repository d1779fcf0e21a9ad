"""Apply the pathways to encounter events: match the rules, do each action once, and undo the work of an
event the hospital cancels. Runs inside the caller's unit of work (a worker job), as the system actor.

Idempotency: each action's work is keyed event_key|pathway|rule|action-index and inserted before the action
runs (one INSERT ... ON CONFLICT DO NOTHING for the actions of a batch's events), in the same transaction as the
work itself; processing the same event again, from a retried job or a re-sent message, finds the keys taken and
does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, select, text
from sqlalchemy.orm import Session

from careloop import access
from careloop.access import Actor, Permission, system_actor
from careloop.clock import utcnow
from careloop.db import insert_all_ignoring_conflict, insert_ignoring_conflict, is_planning, write_phase
from careloop.driver_writes import driver_update_by
from careloop.errors import InvalidInput
from careloop.key_match import KeyLookup
from careloop.models import PathwayEvent, PathwayWork, Patient
from careloop.pathways import actions
from careloop.pathways.actions import LinkReadmissionSpec, Step
from careloop.pathways.context import EventContext, EventPatient, Work
from careloop.pathways.definitions import Pathway, Rule, installed
from careloop.pathways.facts import PatientFacts
from careloop.pathways.schemas import CANCELLED, EncounterEvent
from careloop.pending_inserts import PendingInserts
from careloop.transitions import complexity
from careloop.worker.plans import NotPlannable

ACTOR_NAME = "pathways"
WHAT = {"encounter.admitted": "admission", "encounter.ed_visit": "ED visit", "encounter.discharged": "discharge",
        "encounter.transferred": "transfer", "encounter.updated": "update"}


@dataclass(frozen=True)
class Outcome:
    matched: tuple[str, ...]  # pathway/rule ids that fired
    created: int  # actions done now (0 when everything had been done before)
    undone: int  # work undone by a cancel
    skipped: str | None = None  # why nothing was done


def parse(payload: Mapping[str, Any]) -> EncounterEvent:
    try:
        return EncounterEvent.model_validate(dict(payload))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'event'}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(f"Not a usable encounter event: {problems}.") from None


def process(session: Session, payload: Mapping[str, Any], pathways: Sequence[Pathway] | None = None) -> Outcome:
    return process_all(session, [payload], pathways)[0]


def process_all(session: Session, payloads: Sequence[Mapping[str, Any]],
                pathways: Sequence[Pathway] | None = None) -> list[Outcome]:
    """Process events in order, in the caller's transaction (the worker's batch of pathway jobs); one outcome each.

    The events between two cancels are processed together, a step at a time: one statement records them all as
    seen, one loads their patients, one per kind of patient fact a rule or action reads, one claims all their
    actions' keys, then each event's actions run in order and what they leave pending is written at the end. A
    cancel runs on its own, after what came before it is written, since it undoes that work."""
    events = [parse(payload) for payload in payloads]
    _take_pathway_lock(session)
    actor = system_actor(ACTOR_NAME)
    rules = installed() if pathways is None else pathways
    outcomes: list[Outcome] = []
    run: list[EncounterEvent] = []
    for event in events:
        if event.event_type != CANCELLED:
            run.append(event)
            continue
        outcomes += _process_run(session, actor, run, rules)
        run = []
        outcomes.append(cancel(session, actor, event))
    return outcomes + _process_run(session, actor, run, rules)


PATHWAY_LOCK_ID = 0x50415448  # "PATH": the advisory lock every batch of pathway events takes on PostgreSQL


def _take_pathway_lock(session: Session) -> None:
    """Batches of events run one at a time, in the order the relay made them, however many workers there are: an
    event's work can depend on an earlier event's (an admission's readmission link on the episode the discharge
    before it started), and two batches side by side would not see each other's. On SQLite the write lock already
    does this. Applying the feed (its own lock) still runs beside the pathway work, in another worker."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": PATHWAY_LOCK_ID})


@dataclass(frozen=True)
class _Planned:
    step: Step
    work: Work


@dataclass
class _Fired:
    context: EventContext
    rules: list[tuple[Pathway, Rule]]
    planned: list[_Planned]
    created: int = 0


def _process_run(session: Session, actor: Actor, events: list[EncounterEvent],
                 pathways: Sequence[Pathway]) -> list[Outcome]:
    listening = [[(p, r) for p in pathways for r in p.rules if event.event_type in r.on] for event in events]
    heard = [event for event, rules in zip(events, listening, strict=True) if rules]
    if not heard:  # most of a feed (updates, transfers): nothing to read, nothing to write
        return [Outcome((), 0, 0) for _ in events]
    patients = _patients(session, heard)  # first: an unknown patient is refused with a reason, not a key error
    first_time, cancelled = _remember(session, heard)
    facts = PatientFacts(session, patients, stays_since=min(
        min(event.occurred_at, event.admitted_at or event.occurred_at) for event in heard),
        look_back=stays_look_back(pathways))
    pending = PendingInserts()
    shared: dict[str, Any] = {}
    outcomes: list[Outcome | _Fired] = []
    for event, rules in zip(events, listening, strict=True):
        if not rules:
            outcomes.append(Outcome((), 0, 0))
        elif event.event_key in cancelled:
            outcomes.append(Outcome((), 0, 0, skipped=f"cancelled by {cancelled[event.event_key]} before it was "
                                                      "processed"))
        else:
            context = EventContext(session, actor, event, patients[event.patient_id], facts, pending, shared, heard)
            outcomes.append(_fire(context, rules))
    fired = [item for item in outcomes if isinstance(item, _Fired) and item.rules]
    _apply(session, fired, pending, first_time)
    return [item if isinstance(item, Outcome) else
            Outcome(tuple(f"{p.id}/{r.id}" for p, r in item.rules), item.created, 0) for item in outcomes]


def stays_look_back(pathways: Sequence[Pathway]) -> timedelta:
    """How long before its events a run reads its patients' inpatient stays: the longest a readmission link of these
    pathways looks back (its `within_days`), and at least the TCM complexity rule's 30 days (`start_episode` reads
    them for it). The stays a patient had before that can change no rule's outcome, and reading back the longest
    window any rule might set (a year) read a frequently admitted patient's every stay, dozens, at each event."""
    windows = [timedelta(days=step.spec.within_days) for pathway in pathways for rule in pathway.rules
               for step in rule.actions if isinstance(step.spec, LinkReadmissionSpec)]
    return max([complexity.READMISSION_WINDOW, *windows])


def _fire(context: EventContext, listening: list[tuple[Pathway, Rule]]) -> _Fired:
    """The rules whose conditions hold, checked (and audited) against the patient, with their planned actions."""
    fired = [(p, r) for p, r in listening if all(check.holds(context) for check in r.when)]
    if not fired:
        return _Fired(context, [], [])
    event = context.event
    access.require(context.session, context.actor, Permission.patient_write, context.patient,
                   action="pathway.apply", entity_type="event", entity_id=event.event_key[:64],
                   audit_into=context.pending)
    planned = [_Planned(step, Work(pathway.id, pathway.version, rule.id,
                                   f"{event.event_key}|{pathway.id}|{rule.id}|{i}"))
               for pathway, rule in fired for i, step in enumerate(rule.actions)]
    return _Fired(context, fired, planned)


def _apply(session: Session, fired: list[_Fired], pending: PendingInserts, first_time: set[str]) -> None:
    """Do each action whose key is free, event by event in order; what they made, and the rows they left pending,
    are written when all are done (same transaction). A key planned twice (the same event twice in one batch) is
    done once, by the first.

    An event recorded for the first time by this batch (`first_time`) has no work yet: its event row and its work
    rows are only ever written in one transaction, event first (`_remember`). Its keys are free without asking, and
    its work rows are written once, at the end, with what each action made. Only an event seen before (processed
    again, or named first by a cancel) has its keys claimed in one INSERT before any action runs, and what its
    actions made set on the claimed rows after. At a hospital feed's rate nearly every event is new, and the claim
    and the update were a tenth of the database server's work for the feed (docs/decisions.md)."""
    again = [item for item in fired if item.context.event.event_key not in first_time]
    free = _claim(session, again) | {planned.work.key for item in fired if item.context.event.event_key in first_time
                                     for planned in item.planned}
    made_by_key: list[dict[str, Any]] = []
    now = utcnow()
    for item in fired:
        new_event = item.context.event.event_key in first_time
        for planned in item.planned:
            if planned.work.key not in free:
                continue  # done before: this event was processed already
            free.discard(planned.work.key)
            item.created += 1
            made = planned.step.kind.run(item.context, planned.step.spec, planned.work)
            if new_event:
                pending.add(PathwayWork, {**_work_row(item, planned, now),
                                          "target_type": made.target_type if made else None,
                                          "target_id": made.target_id if made else None})
            elif made is not None:
                made_by_key.append({"_key": planned.work.key, "_target_type": made.target_type,
                                    "_target_id": made.target_id})
    if made_by_key:
        write_phase(session, partial(_SET_TARGET.many, rows=made_by_key))
    write_phase(session, pending.write)  # at once; in a planning session, when the plan is written


# What an action made, recorded on its claim (one executemany per batch): a cancel finds the work from here.
_WORK = cast(Table, PathwayWork.__table__)
_SET_TARGET = driver_update_by(_WORK, "key", ("target_type", "target_id"))


def _claim(session: Session, fired: list[_Fired]) -> set[str]:
    """The keys this call took (the others were taken by an earlier processing of the event)."""
    now = utcnow()
    rows = [_work_row(item, planned, now) for item in fired for planned in item.planned]
    return insert_all_ignoring_conflict(session, PathwayWork, rows, conflict_columns=["key"])


def _work_row(item: _Fired, planned: _Planned, now: datetime) -> dict[str, Any]:
    return {"key": planned.work.key, "event_key": item.context.event.event_key, "pathway": planned.work.pathway,
            "pathway_version": planned.work.version, "rule": planned.work.rule, "action": planned.step.name,
            "patient_id": item.context.patient.id, "created_at": now}


def _remember(session: Session, events: list[EncounterEvent]) -> tuple[set[str], dict[str, str | None]]:
    """Record the events as processed. Returns the keys of those recorded now for the first time, and those a
    cancel had reached first (key -> the cancelling event)."""
    now = utcnow()
    rows = [{"event_key": event.event_key, "event_type": event.event_type, "patient_id": event.patient_id,
             "encounter_id": event.encounter_id, "occurred_at": event.occurred_at, "processed_at": now}
            for event in events]
    if is_planning(session):
        return _remember_when_written(session, rows), {}
    added = insert_all_ignoring_conflict(session, PathwayEvent, rows, conflict_columns=["event_key"])
    seen = sorted({event.event_key for event in events} - added)
    if not seen:
        return added, {}  # all new: nothing can have cancelled them yet
    return added, dict(session.execute(select(PathwayEvent.event_key, PathwayEvent.cancelled_by).where(
        PathwayEvent.event_key.in_(seen), PathwayEvent.cancelled_at.is_not(None))).tuples().all())


def _remember_when_written(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """_remember in a planning session: events all new in its snapshot are recorded when the plan is written (which
    happens only if nothing was written since the snapshot); an event seen before needs its keys claimed first."""
    keys = sorted({row["event_key"] for row in rows})
    if _KNOWN_EVENTS.rows(session, [(key,) for key in keys]):
        raise NotPlannable("an event of the batch was seen before")
    write_phase(session, partial(_record_new_events, rows=rows))
    return set(keys)


def _record_new_events(session: Session, rows: list[dict[str, Any]]) -> None:
    added = insert_all_ignoring_conflict(session, PathwayEvent, rows, conflict_columns=["event_key"])
    if len(added) != len({row["event_key"] for row in rows}):
        raise RuntimeError("a planned batch's events were recorded meanwhile")  # the batch then runs apart


_KNOWN_EVENTS = KeyLookup(select(PathwayEvent.event_key), (PathwayEvent.event_key,))


def _patients(session: Session, events: list[EncounterEvent]) -> dict[int, EventPatient]:
    """As rows: an ORM object per patient cost more than the rest of what the engine reads for an event."""
    wanted = {event.patient_id for event in events}
    patients = {row[0]: EventPatient(*row) for row in _PATIENTS.rows(session, [(i,) for i in sorted(wanted)])}
    missing = sorted(wanted - set(patients))
    if missing:
        named = next(event for event in events if event.patient_id == missing[0])
        raise InvalidInput(f"Event {named.event_key} names patient {named.patient_id}, who does not exist.")
    return patients


_PATIENTS = KeyLookup(select(Patient.id, Patient.public_id, Patient.given, Patient.family), (Patient.id,))


def cancel(session: Session, actor: Actor, event: EncounterEvent) -> Outcome:
    """Undo what the cancelled event's rules made, newest first, keeping every record (marked undone, why)."""
    if is_planning(session):
        raise NotPlannable("a cancel undoes work as it reads it")
    key = event.cancelled_event_key or ""
    seen = _mark_cancelled(session, key, event)
    patient = session.get(Patient, event.patient_id)
    name = f"{patient.given} {patient.family}" if patient else "the patient"
    reason = f"the hospital cancelled the {WHAT.get(seen.event_type, 'event')} of {name} ({key})"
    work = session.scalars(select(PathwayWork).where(PathwayWork.event_key == key, PathwayWork.undone_at.is_(None))
                           .order_by(PathwayWork.id.desc())).all()
    now = utcnow()
    for item in work:
        note = actions.ACTIONS[item.action].undo(session, actor, item, reason)
        item.undone_at, item.undo_reason = now, f"{reason}: {note}"[:300]
    session.flush()
    return Outcome((), 0, len(work))


def _mark_cancelled(session: Session, key: str, event: EncounterEvent) -> PathwayEvent:
    """Remember the cancel even when it arrives before the event it cancels, which is then never applied."""
    insert_ignoring_conflict(session, PathwayEvent, {
        "event_key": key, "event_type": "unknown", "patient_id": event.patient_id, "encounter_id": event.encounter_id,
        "occurred_at": None, "processed_at": None, "cancelled_at": utcnow(), "cancelled_by": event.event_key},
        conflict_columns=["event_key"])
    seen = session.scalar(select(PathwayEvent).where(PathwayEvent.event_key == key))
    assert seen is not None
    if seen.cancelled_at is None:
        seen.cancelled_at, seen.cancelled_by = utcnow(), event.event_key
    return seen
