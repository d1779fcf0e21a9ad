"""Apply the pathways to one encounter event: match the rules, do each action once, and undo the work of an
event the hospital cancels. Runs inside the caller's unit of work (a worker job), as the system actor.

Idempotency: each action's work is keyed event_key|pathway|rule|action-index and inserted before the action
runs (one INSERT ... ON CONFLICT DO NOTHING for all the event's actions), in the same transaction as the work
itself; processing the same event again, from a retried job or a re-sent message, finds the keys taken and does
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from careloop import access
from careloop.access import Actor, Permission, system_actor
from careloop.clock import utcnow
from careloop.db import execute_core, insert_all_ignoring_conflict, insert_ignoring_conflict
from careloop.errors import InvalidInput
from careloop.models import PathwayEvent, PathwayWork, Patient
from careloop.pathways import actions
from careloop.pathways.actions import Step
from careloop.pathways.context import EventContext, Work
from careloop.pathways.definitions import Pathway, Rule, installed
from careloop.pathways.schemas import CANCELLED, EncounterEvent

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
    event = parse(payload)
    actor = system_actor(ACTOR_NAME)
    if event.event_type == CANCELLED:
        return cancel(session, actor, event)
    listening = [(p, r) for p in (installed() if pathways is None else pathways) for r in p.rules
                 if event.event_type in r.on]
    if not listening:  # most of a feed (updates, transfers): nothing to read, nothing to write
        return Outcome((), 0, 0)
    seen = _remember(session, event)
    if seen is not None and seen.cancelled_at is not None:
        return Outcome((), 0, 0, skipped=f"cancelled by {seen.cancelled_by} before it was processed")
    patient = session.get(Patient, event.patient_id)
    if patient is None:
        raise InvalidInput(f"Event {event.event_key} names patient {event.patient_id}, who does not exist.")
    context = EventContext(session, actor, event, patient)
    fired = [(p, r) for p, r in listening if all(check.holds(context) for check in r.when)]
    if not fired:
        return Outcome((), 0, 0)
    access.require(session, actor, Permission.patient_write, patient, action="pathway.apply", entity_type="event",
                   entity_id=event.event_key[:64], audit_into=context.pending)
    created = _apply(context, fired)
    return Outcome(tuple(f"{p.id}/{r.id}" for p, r in fired), created, 0)


@dataclass(frozen=True)
class _Planned:
    step: Step
    work: Work


def _apply(context: EventContext, fired: list[tuple[Pathway, Rule]]) -> int:
    """Claim every action's key in one INSERT before any of them runs, then do those whose key was free; what
    they made, and the rows they left pending, are written when all are done (same transaction)."""
    event_key = context.event.event_key
    planned = [_Planned(step, Work(pathway.id, pathway.version, rule.id, f"{event_key}|{pathway.id}|{rule.id}|{i}"))
               for pathway, rule in fired for i, step in enumerate(rule.actions)]
    free = _claim(context, planned)
    made_by_key: list[dict[str, Any]] = []
    for item in planned:
        if item.work.key not in free:
            continue  # done before: this event was processed already
        made = item.step.kind.run(context, item.step.spec, item.work)
        if made is not None:
            made_by_key.append({"_key": item.work.key, "_type": made.target_type, "_id": made.target_id})
    if made_by_key:
        execute_core(context.session, _SET_TARGET, made_by_key)
    context.pending.write(context.session)
    return len(free)


# What an action made, recorded on its claim (one executemany per event): a cancel finds the work from here.
_WORK = cast(Table, PathwayWork.__table__)
_SET_TARGET = (update(_WORK).where(_WORK.c.key == bindparam("_key"))
               .values(target_type=bindparam("_type"), target_id=bindparam("_id")))


def _claim(context: EventContext, planned: list[_Planned]) -> set[str]:
    """The keys this call took (the others were taken by an earlier processing of the event)."""
    now = utcnow()
    rows = [{"key": item.work.key, "event_key": context.event.event_key, "pathway": item.work.pathway,
             "pathway_version": item.work.version, "rule": item.work.rule, "action": item.step.name,
             "patient_id": context.patient.id, "created_at": now} for item in planned]
    return insert_all_ignoring_conflict(context.session, PathwayWork, rows, conflict_columns=["key"])


def _remember(session: Session, event: EncounterEvent) -> PathwayEvent | None:
    """Record the event as processed; the earlier record if it had been seen (or cancelled) before."""
    added = insert_ignoring_conflict(session, PathwayEvent, {
        "event_key": event.event_key, "event_type": event.event_type, "patient_id": event.patient_id,
        "encounter_id": event.encounter_id, "occurred_at": event.occurred_at, "processed_at": utcnow()},
        conflict_columns=["event_key"])
    if added:
        return None  # new: nothing can have cancelled it yet
    return session.scalar(select(PathwayEvent).where(PathwayEvent.event_key == event.event_key))


def cancel(session: Session, actor: Actor, event: EncounterEvent) -> Outcome:
    """Undo what the cancelled event's rules made, newest first, keeping every record (marked undone, why)."""
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
