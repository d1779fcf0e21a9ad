"""Apply stored ADT messages to encounters, in the worker, in the order they arrived.

One job kind (`hl7v2.apply`) takes the oldest received messages, a batch at a time, under one lock (an
advisory lock on PostgreSQL; SQLite's write lock otherwise), so messages about one patient are applied in
arrival order even with several workers. Each message is applied in a savepoint: one that cannot be applied
is marked failed with its reason and the batch goes on. A message whose patient is unknown or ambiguous is
held for review, and so is every later message for the same identifier, until a coordinator links it.

What each event does (HL7 v2.5 chapter 3, 3.3.1-3.3.13): A01 admit, A04 register and A06 outpatient ->
inpatient start or update the visit's encounter; A02 transfer moves it; A03 discharge finishes it; A07 and
A08 update it; A11, A12 and A13 cancel the latest uncancelled A01/A04, A02 or A03 of the visit by restoring
what that event changed (its change row keeps before and after, and is marked cancelled, not deleted).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, text, tuple_, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction

from careloop import access
from careloop.access import Actor, Permission
from careloop.clock import utcnow
from careloop.config import get_settings
from careloop.db import PendingInserts
from careloop.integrations.hl7v2 import events as contract
from careloop.integrations.hl7v2.adt import AdtMessage, Refusal, read_adt
from careloop.integrations.hl7v2.matching import Match, match_patients
from careloop.integrations.hl7v2.store import APPLY_JOB
from careloop.models.encounter import Encounter, EncounterClass, EncounterStatus
from careloop.models.hl7v2 import EncounterChange, Hl7Message, Hl7MessageStatus, Hl7Visit
from careloop.worker import events
from careloop.worker.queue import enqueue

log = logging.getLogger("careloop.hl7v2")

BATCH = 200
APPLY_LOCK_ID = 0x484C3756  # "HL7V": the advisory lock every apply job takes on PostgreSQL

CLASS_CODES: dict[contract.EncounterClassName, EncounterClass] = {
    "inpatient": EncounterClass.inpatient, "emergency": EncounterClass.emergency,
    "observation": EncounterClass.observation, "outpatient": EncounterClass.ambulatory,
}
CLASS_NAMES: dict[EncounterClass, contract.EncounterClassName] = {v: k for k, v in CLASS_CODES.items()}
CANCELLED_BY = {"A11": ("A01", "A04"), "A12": ("A02",), "A13": ("A03",)}
STARTS_VISIT = frozenset({"A01", "A04", "A06"})
SNAPSHOT_FIELDS = ("status", "class_code", "period_start", "period_end", "facility", "location",
                   "discharge_disposition", "discharge_disposition_source")


class ApplyError(Exception):
    """This message cannot be applied (the reason is kept on it); other messages go on."""


def feed_actor() -> Actor:
    return access.system_actor("hl7v2-feed", channel="hl7v2")


def apply_pending(session: Session, payload: Mapping[str, Any]) -> None:
    """Job handler: apply the oldest received messages; queue a follow-up while more are waiting."""
    _take_apply_lock(session)
    rows = session.execute(_PENDING, {"status": Hl7MessageStatus.received, "limit": BATCH}).all()
    batch = Batch.load(session, feed_actor(), [Pending(*row) for row in rows])
    for pending in batch.messages:
        apply_one(session, batch, pending)
    batch.finish(session)
    if len(rows) == BATCH:
        last = rows[-1].id
        enqueue(session, APPLY_JOB, {"after_message_id": last}, key=f"{APPLY_JOB}:after:{last}")


# Plain rows rather than ORM objects: a message's outcome is written with the batch's others in one UPDATE.
_PENDING = (select(Hl7Message.id, Hl7Message.public_id, Hl7Message.raw, Hl7Message.identifier_system,
                   Hl7Message.identifier_value)
            .where(Hl7Message.status == bindparam("status")).order_by(Hl7Message.id).limit(bindparam("limit")))


def _take_apply_lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": APPLY_LOCK_ID})


@dataclass
class Pending:
    """A received message as the batch read it, and what became of it."""

    id: int
    public_id: uuid.UUID
    raw: str
    identifier_system: str | None
    identifier_value: str | None
    message: AdtMessage | Refusal | None = None  # read once when the batch is loaded
    match: Match | None = None
    outcome: dict[str, Any] = field(default_factory=dict)  # the columns its row is updated with

    @property
    def held_key(self) -> tuple[str, str] | None:
        """The identifier that holds later messages; NULL matched nothing in SQL, so it holds nothing here."""
        if self.identifier_system is None or self.identifier_value is None:
            return None
        return self.identifier_system, self.identifier_value


@dataclass
class Batch:
    """What one apply job knows about its messages, read with a few queries for all of them rather than a few
    per message: the identifiers already held, each message's patient match, the visits they name (with their
    encounters). Audit rows and outbox events wait in `pending` and are written with one INSERT each at the end;
    each message's status, with the others', in one UPDATE."""

    actor: Actor
    messages: list[Pending]
    held_since: dict[tuple[str, str], int]  # identifier -> id of the first held message that carries it
    visits: dict[tuple[str, str], Hl7Visit]  # (MSH-4, PV1-19) -> visit, including the visits this batch starts
    # The visits' encounters by id, held here because the session's identity map keeps only what is referenced.
    encounters: dict[int, Encounter]
    pending: PendingInserts = field(default_factory=PendingInserts)

    @classmethod
    def load(cls, session: Session, actor: Actor, messages: list[Pending]) -> Batch:
        zone = get_settings().timezone
        for pending in messages:
            pending.message = _read(pending.raw, zone)
        readable = [p for p in messages if isinstance(p.message, AdtMessage)]
        matches = match_patients(session, [_adt(p).identifiers for p in readable])
        for pending, match in zip(readable, matches, strict=True):
            pending.match = match
        visits = _visits(session, [_adt(p) for p in readable])
        return cls(actor, messages, _held_since(session, messages), visits, _encounters(session, visits))

    def waits_behind_held(self, pending: Pending) -> bool:
        key = pending.held_key
        return key is not None and self.held_since.get(key, pending.id) < pending.id

    def hold(self, pending: Pending, reason: str | None) -> None:
        """Held, and so is every later message for its identifier (in this batch through `held_since`)."""
        _mark(pending, Hl7MessageStatus.held, reason)
        if (key := pending.held_key) is not None:
            self.held_since[key] = min(self.held_since.get(key, pending.id), pending.id)

    def finish(self, session: Session) -> None:
        """Write the pending rows and every message's outcome: one UPDATE by primary key per set of columns
        (a held or failed message keeps the patient and encounter columns it had)."""
        self.pending.write(session)
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for p in self.messages:
            by_columns.setdefault(tuple(p.outcome), []).append({"id": p.id, **p.outcome})
        for rows in by_columns.values():
            session.execute(update(Hl7Message), rows)


def _read(raw: str, zone: str) -> AdtMessage | Refusal:
    try:
        return read_adt(raw, zone)
    except Refusal as refusal:
        return refusal


def _adt(pending: Pending) -> AdtMessage:
    assert isinstance(pending.message, AdtMessage)
    return pending.message


def _held_since(session: Session, messages: list[Pending]) -> dict[tuple[str, str], int]:
    """For each identifier of the batch, the first message already held on it (the batch's own come later)."""
    keys = sorted({k for p in messages if (k := p.held_key) is not None})
    if not keys:
        return {}
    rows = session.execute(
        select(Hl7Message.identifier_system, Hl7Message.identifier_value, func.min(Hl7Message.id))
        .where(Hl7Message.status == Hl7MessageStatus.held,
               tuple_(Hl7Message.identifier_system, Hl7Message.identifier_value).in_(keys))
        .group_by(Hl7Message.identifier_system, Hl7Message.identifier_value))
    return {(system, value): first for system, value, first in rows}


def _visits(session: Session, messages: list[AdtMessage]) -> dict[tuple[str, str], Hl7Visit]:
    """The visits the batch names (by sending facility and PV1-19), in one query."""
    keys = sorted({(m.sending_facility, m.visit_number) for m in messages if m.visit_number})
    if not keys:
        return {}
    visits = session.scalars(select(Hl7Visit).where(tuple_(Hl7Visit.facility, Hl7Visit.visit_number).in_(keys)))
    return {(v.facility, v.visit_number): v for v in visits}


def _encounters(session: Session, visits: dict[tuple[str, str], Hl7Visit]) -> dict[int, Encounter]:
    ids = sorted({v.encounter_id for v in visits.values()})
    if not ids:
        return {}
    return {e.id: e for e in session.scalars(select(Encounter).where(Encounter.id.in_(ids)))}


def apply_one(session: Session, batch: Batch, pending: Pending) -> None:
    if _reads_history(pending):
        batch.pending.write(session)  # before its savepoint: what earlier messages did is theirs to keep
    mark, visits, encounters = batch.pending.mark(), dict(batch.visits), dict(batch.encounters)
    savepoint = session.begin_nested()
    try:
        _apply(session, batch, pending)
        savepoint.commit()
    except DBAPIError:
        raise  # the database, not the message: the job retries
    except (ApplyError, Refusal) as exc:
        _forget(savepoint, batch, mark, visits, encounters)
        _mark(pending, Hl7MessageStatus.failed, str(exc))
    except Exception as exc:
        log.exception("HL7 message %s could not be applied", pending.id)
        _forget(savepoint, batch, mark, visits, encounters)
        _mark(pending, Hl7MessageStatus.failed, f"internal error: {exc}")


def _forget(savepoint: SessionTransaction, batch: Batch, mark: int, visits: dict[tuple[str, str], Hl7Visit],
            encounters: dict[int, Encounter]) -> None:
    """Roll the message back: its writes, its pending rows, and any visit or encounter it started (the
    rollback expunged them; what it changed on older ones is expired and reloaded when next read)."""
    savepoint.rollback()
    batch.pending.forget_since(mark)
    batch.visits, batch.encounters = visits, encounters


def _reads_history(pending: Pending) -> bool:
    """A cancel looks for the change it undoes, and a message without PV1-19 finds its encounter through the
    changes this sender made: both must see the change rows of the messages before them in the batch."""
    message = pending.message
    return isinstance(message, AdtMessage) and (message.trigger in CANCELLED_BY or not message.visit_number)


def _mark(pending: Pending, status: Hl7MessageStatus, reason: str | None) -> None:
    pending.outcome = {"status": status, "error": reason}


def _apply(session: Session, batch: Batch, pending: Pending) -> None:
    message = pending.message
    if isinstance(message, Refusal):
        raise message
    assert message is not None and pending.match is not None
    if batch.waits_behind_held(pending):
        batch.hold(pending, "an earlier message for this identifier is waiting in the review queue")
        return
    patient = pending.match.patient
    if patient is None:
        batch.hold(pending, pending.match.hold_reason)
        return
    access.require(session, batch.actor, Permission.patient_write, patient, action="hl7v2.apply",
                   entity_type="hl7_message", entity_id=str(pending.public_id), audit_into=batch.pending)
    if message.trigger in CANCELLED_BY:
        encounter = _cancel(session, batch, pending, message, patient.id)
    else:
        encounter = _apply_event(session, batch, pending, message, patient.id)
    pending.outcome = {"status": Hl7MessageStatus.applied, "error": None, "patient_id": patient.id,
                       "encounter_id": encounter.id, "applied_at": utcnow()}


def _find_encounter(session: Session, batch: Batch, message: AdtMessage, patient_id: int) -> Encounter | None:
    """The visit's encounter by PV1-19 visit number (the batch read the visits and their encounters); without
    one, the patient's latest encounter that this sender's feed touched."""
    if message.visit_number:
        visit = batch.visits.get((message.sending_facility, message.visit_number))
        if visit is None:
            return None
        return batch.encounters.get(visit.encounter_id) or session.get(Encounter, visit.encounter_id)
    return session.scalar(
        select(Encounter).join(EncounterChange, EncounterChange.encounter_id == Encounter.id)
        .join(Hl7Message, Hl7Message.id == EncounterChange.message_id)
        .where(Encounter.patient_id == patient_id, Hl7Message.sending_facility == message.sending_facility)
        .order_by(EncounterChange.id.desc()).limit(1))


def _apply_event(session: Session, batch: Batch, pending: Pending, message: AdtMessage,
                 patient_id: int) -> Encounter:
    encounter = _find_encounter(session, batch, message, patient_id)
    before = snapshot(encounter) if encounter else None
    if encounter is None:
        encounter = _start_encounter(session, message, patient_id)
    _update(encounter, message)
    if encounter.id is None:
        session.flush()  # a new encounter's id, for its visit, its change row and the event
        batch.encounters[encounter.id] = encounter
    visit = _remember_visit(session, batch, message, encounter)
    event_type = _event_type(message)
    _record(batch, pending, message, encounter, event_type, before, snapshot(encounter))
    events.emit(session, event_type, _payload(message, encounter, visit), into=batch.pending)
    return encounter


def _start_encounter(session: Session, message: AdtMessage, patient_id: int) -> Encounter:
    """A visit the feed has not seen before (it may start mid-stay, with a transfer or a discharge)."""
    if message.encounter_class is None:
        raise ApplyError(f"no encounter for this visit yet, and PV1-2 {message.patient_class!r} does not say "
                         "which kind to start")
    encounter = Encounter(patient_id=patient_id, status=EncounterStatus.in_progress,
                          class_code=CLASS_CODES[message.encounter_class],
                          period_start=message.admitted_at or message.occurred_at)
    session.add(encounter)
    return encounter


def _update(encounter: Encounter, message: AdtMessage) -> None:
    if message.encounter_class is not None:
        encounter.class_code = CLASS_CODES[message.encounter_class]
    if message.trigger == "A06":
        encounter.class_code = EncounterClass.inpatient
    encounter.facility = message.facility or encounter.facility
    encounter.location = message.location or encounter.location
    encounter.period_start = message.admitted_at or encounter.period_start
    if message.trigger in STARTS_VISIT:
        encounter.status = EncounterStatus.in_progress
    if message.trigger == "A03":
        encounter.status = EncounterStatus.finished
        encounter.period_end = message.discharged_at or message.occurred_at
    elif message.discharged_at is not None:  # an A08 correcting the discharge time of a finished stay
        encounter.period_end = message.discharged_at
    if message.discharge_disposition or message.discharge_disposition_source:
        encounter.discharge_disposition = message.discharge_disposition
        encounter.discharge_disposition_source = message.discharge_disposition_source


def _remember_visit(session: Session, batch: Batch, message: AdtMessage, encounter: Encounter) -> Hl7Visit | None:
    """The visit found by visit number is the encounter's own (encounter_id is unique); a visit not found means
    a new encounter, which gets its visit here."""
    if not message.visit_number:
        return None
    key = (message.sending_facility, message.visit_number)
    visit = batch.visits.get(key)
    if visit is None:
        visit = Hl7Visit(facility=message.sending_facility, visit_number=message.visit_number,
                         encounter_id=encounter.id)
        session.add(visit)
        batch.visits[key] = visit
    visit.admission_type = message.admission_type or visit.admission_type
    return visit


def _event_type(message: AdtMessage) -> str:
    trigger = message.trigger
    if trigger == "A04" or (trigger == "A01" and message.encounter_class == "emergency"):
        return contract.ENCOUNTER_ED_VISIT
    return {"A01": contract.ENCOUNTER_ADMITTED, "A06": contract.ENCOUNTER_ADMITTED,
            "A02": contract.ENCOUNTER_TRANSFERRED, "A03": contract.ENCOUNTER_DISCHARGED,
            "A07": contract.ENCOUNTER_UPDATED, "A08": contract.ENCOUNTER_UPDATED}[trigger]


def _cancel(session: Session, batch: Batch, pending: Pending, message: AdtMessage, patient_id: int) -> Encounter:
    encounter = _find_encounter(session, batch, message, patient_id)
    undone = _latest_uncancelled(session, encounter, CANCELLED_BY[message.trigger]) if encounter else None
    if encounter is None or undone is None:
        wanted = " or ".join(CANCELLED_BY[message.trigger])
        raise ApplyError(f"nothing to cancel: no applied {wanted} for visit {message.visit_number or '(none)'}")
    before = snapshot(encounter)
    restore(encounter, undone)
    key = contract.event_key(message.sending_facility, message.control_id)
    undone.cancelled_by_key, undone.cancelled_at = key, utcnow()
    _record(batch, pending, message, encounter, contract.ENCOUNTER_EVENT_CANCELLED, before, snapshot(encounter))
    visit = (batch.visits.get((message.sending_facility, message.visit_number)) if message.visit_number
             else session.scalar(select(Hl7Visit).where(Hl7Visit.encounter_id == encounter.id)))
    events.emit(session, contract.ENCOUNTER_EVENT_CANCELLED,
                _payload(message, encounter, visit, cancelled_event_key=undone.event_key), into=batch.pending)
    return encounter


def _latest_uncancelled(session: Session, encounter: Encounter, triggers: tuple[str, ...]) -> EncounterChange | None:
    return session.scalar(select(EncounterChange).where(
        EncounterChange.encounter_id == encounter.id, EncounterChange.trigger.in_(triggers),
        EncounterChange.cancelled_by_key.is_(None)).order_by(EncounterChange.id.desc()).limit(1))


def restore(encounter: Encounter, undone: EncounterChange) -> None:
    """Put back what the undone event changed. An event that created the encounter leaves it cancelled."""
    if undone.before is None:
        encounter.status = EncounterStatus.cancelled
        return
    for name in SNAPSHOT_FIELDS:
        if undone.before.get(name) != undone.after.get(name):
            setattr(encounter, name, _field_value(name, undone.before.get(name)))


def snapshot(encounter: Encounter) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(encounter, name)
        values[name] = value.isoformat() if isinstance(value, datetime) else value
    return values


def _field_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in ("period_start", "period_end"):
        return datetime.fromisoformat(value)
    if name == "status":
        return EncounterStatus(value)
    if name == "class_code":
        return EncounterClass(value)
    return value


def _record(batch: Batch, pending: Pending, message: AdtMessage, encounter: Encounter, event_type: str,
            before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    """The change row waits with the batch's other pending rows; a message that reads the history first has
    them written (`_reads_history`)."""
    batch.pending.add(EncounterChange, {
        "encounter_id": encounter.id, "message_id": pending.id,
        "event_key": contract.event_key(message.sending_facility, message.control_id), "trigger": message.trigger,
        "event_type": event_type, "before": before, "after": after, "occurred_at": message.occurred_at,
        "recorded_at": utcnow(), "cancelled_by_key": None, "cancelled_at": None})


def _payload(message: AdtMessage, encounter: Encounter, visit: Hl7Visit | None,
             cancelled_event_key: str | None = None) -> contract.EncounterEventPayload:
    return contract.encounter_event(
        event_key=contract.event_key(message.sending_facility, message.control_id),
        patient_id=encounter.patient_id, encounter_id=encounter.id,
        encounter_class=CLASS_NAMES.get(encounter.class_code, "outpatient"), occurred_at=message.occurred_at,
        facility=encounter.facility, location=encounter.location,
        admitted_at=encounter.period_start,
        discharged_at=encounter.period_end, discharge_disposition=encounter.discharge_disposition,
        admission_type=(visit.admission_type if visit else None) or message.admission_type,
        cancelled_event_key=cancelled_event_key)
