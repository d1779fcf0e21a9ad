"""Apply stored ADT messages to encounters, in the worker, in the order they arrived.

One job kind (`hl7v2.apply`) takes the oldest received messages, a batch at a time, under one lock (an
advisory lock on PostgreSQL; SQLite's write lock otherwise), so messages about one patient are applied in
arrival order even with several workers. The batch is read and written a few statements at a time (`batch.py`);
each message is applied in a savepoint: one that cannot be applied is marked failed with its reason, what it
changed is forgotten, and the batch goes on. A message whose patient is unknown or ambiguous is
held for review, and so is every later message for the same identifier, until a coordinator links it.

What each event does (HL7 v2.5 chapter 3, 3.3.1-3.3.13): A01 admit, A04 register and A06 outpatient ->
inpatient start or update the visit's encounter; A02 transfer moves it; A03 discharge finishes it; A07 and
A08 update it; A11, A12 and A13 cancel the latest uncancelled A01/A04, A02 or A03 of the visit by restoring
what that event changed (its change row keeps before and after, and is marked cancelled, not deleted).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from careloop import access
from careloop.access import Actor, Permission
from careloop.clock import utcnow
from careloop.config import get_settings
from careloop.driver_reads import DriverRead
from careloop.integrations.hl7v2 import events as contract
from careloop.integrations.hl7v2.adt import AdtMessage, Refusal
from careloop.integrations.hl7v2.batch import Batch, EncounterState, Pending, VisitState
from careloop.integrations.hl7v2.store import APPLY_JOB
from careloop.models.encounter import Encounter, EncounterClass, EncounterStatus
from careloop.models.hl7v2 import EncounterChange, Hl7Message, Hl7MessageStatus, Hl7Visit
from careloop.models.jobs import Job, JobStatus
from careloop.worker import events
from careloop.worker.queue import enqueue

log = logging.getLogger("careloop.hl7v2")

# Messages a pass applies; more wait for the follow-up it queues. At 2,000 a second passes of 200 were full, and each
# pass's statements cost about the same whatever it holds (jobs_registry.PATHWAY_BATCH says more).
BATCH = 500
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
    rows = _PENDING.rows(session, {"status": Hl7MessageStatus.received, "first": first_waiting(session),
                                   "limit": BATCH})
    batch = Batch.load(session, feed_actor(), [Pending(*row) for row in rows], get_settings().timezone)
    for pending in batch.messages:
        apply_one(session, batch, pending)
    batch.finish(session)
    if len(rows) == BATCH:
        last = rows[-1][0]
        enqueue(session, APPLY_JOB, {"after_message_id": last}, key=f"{APPLY_JOB}:after:{last}")


def apply_pending_once_for_all(session: Session, payloads: Sequence[Mapping[str, Any]]) -> None:
    """Batch handler: each apply job asks for the same thing, a pass over the received messages (its payload only
    names the group commit that queued it), so the jobs claimed together are done by one pass. The listener queues
    one a group commit, up to a few hundred a second; run one by one, each found only what had arrived since the
    one before, and the worker spent more on claiming and committing them than on the messages."""
    if payloads:
        apply_pending(session, payloads[0])


# Plain rows rather than ORM objects (a message's outcome is written with the batch's others in one UPDATE), read on
# the driver's cursor.
_PENDING = DriverRead(select(Hl7Message.id, Hl7Message.public_id, Hl7Message.raw, Hl7Message.reading,
                             Hl7Message.identifier_system, Hl7Message.identifier_value)
                      .where(Hl7Message.status == bindparam("status"), Hl7Message.id >= bindparam("first"))
                      .order_by(Hl7Message.id).limit(bindparam("limit")))


def first_waiting(session: Session) -> int:
    """The lowest id a received message can have: the least that an apply job not yet done names.

    Every change that leaves a message received queues an apply job naming it, in the same transaction: a group
    commit its first new message, a release from the review queue the first message released, a pass that stopped
    at its batch size the message after its last. A job is done only by a pass that read every received message
    from the id it names (or queued such a follow-up), so each received message is at or after what some job not
    yet done names: those queued, running (this pass's own among them) or dead (their messages are not left
    behind; a later pass applies them first, in order, as before).

    Why the pass starts there, rather than at the first received message: on PostgreSQL, marking a message applied
    leaves its entry under "received" in the (status, id) index until VACUUM comes, and the read of the received
    messages walked every one of them: 30,000 entries and 3,000 table pages, 4.5 ms a pass, after 30,000 messages
    (autovacuum waits for a fifth of a table to be dead: 200,000 messages at a million). Started at the least id a
    job names, it walks only the entries of messages that came since the passes before. 0 when no job names one
    (a pass called directly), which reads from the start."""
    return min((_first_named(payload) for (payload,) in _UNFINISHED_APPLY_JOBS.rows(session, {})), default=0)


def _first_named(payload: Mapping[str, Any]) -> int:
    """The least message id an apply job's payload names (store.py, review.py, apply_pending); 0 for a payload
    that names none, which then reads from the start."""
    if "first_message_id" in payload:
        return int(payload["first_message_id"])
    if "released_from" in payload:
        return int(payload["released_from"])
    if "after_message_id" in payload:
        return int(payload["after_message_id"]) + 1
    return 0


_UNFINISHED_APPLY_JOBS = DriverRead(select(Job.payload).where(
    Job.kind == APPLY_JOB, or_(*(Job.status == status for status in JobStatus if status is not JobStatus.done))))


def _take_apply_lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": APPLY_LOCK_ID})


def apply_one(session: Session, batch: Batch, pending: Pending) -> None:
    if _reads_history(pending):
        batch.write(session)  # first: what earlier messages did is theirs to keep
    checkpoint = batch.checkpoint()
    try:
        # A message writes nothing until the batch's `write` (its new encounter's key is reserved, its rows wait in
        # the batch), so forgetting what it changed in the batch undoes it (the checkpoint). Only a cancel changes a
        # row as it goes (the change it undoes, an ORM object): a savepoint undoes that.
        if _is_cancel(pending):
            with session.begin_nested():
                _apply(session, batch, pending)
        else:
            _apply(session, batch, pending)
    except DBAPIError:
        raise  # the database, not the message: the job retries
    except (ApplyError, Refusal) as exc:
        batch.forget(checkpoint)
        pending.mark(Hl7MessageStatus.failed, str(exc))
    except Exception as exc:
        log.exception("HL7 message %s could not be applied", pending.id)
        batch.forget(checkpoint)
        pending.mark(Hl7MessageStatus.failed, f"internal error: {exc}")


def _is_cancel(pending: Pending) -> bool:
    return isinstance(pending.message, AdtMessage) and pending.message.trigger in CANCELLED_BY


def _reads_history(pending: Pending) -> bool:
    """A cancel looks for the change it undoes, and a message without PV1-19 finds its encounter through the
    changes this sender made (and a cancel's visit by encounter): both read what the messages before them in
    the batch wrote, so the batch writes it first."""
    message = pending.message
    return isinstance(message, AdtMessage) and (message.trigger in CANCELLED_BY or not message.visit_number)


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


def _find_encounter(session: Session, batch: Batch, message: AdtMessage, patient_id: int) -> EncounterState | None:
    """The visit's encounter by PV1-19 visit number; without one, the patient's latest encounter that this
    sender's feed touched."""
    if message.visit_number:
        visit = batch.visits.get((message.sending_facility, message.visit_number))
        return batch.encounter(session, visit.encounter_id) if visit else None
    encounter_id = session.scalar(
        select(Encounter.id).join(EncounterChange, EncounterChange.encounter_id == Encounter.id)
        .join(Hl7Message, Hl7Message.id == EncounterChange.message_id)
        .where(Encounter.patient_id == patient_id, Hl7Message.sending_facility == message.sending_facility)
        .order_by(EncounterChange.id.desc()).limit(1))
    return batch.encounter(session, encounter_id) if encounter_id is not None else None


def _apply_event(session: Session, batch: Batch, pending: Pending, message: AdtMessage,
                 patient_id: int) -> EncounterState:
    found = _find_encounter(session, batch, message, patient_id)
    # A copy: the batch's state stays as it was until the message succeeds (see Batch.forget).
    encounter = dataclasses.replace(found) if found else _start_encounter(message, patient_id)
    _update(encounter, message)
    if encounter.id is None:
        batch.start_encounter(session, encounter)  # its id, for its visit, its change row and the event
    batch.keep(encounter)
    visit = _remember_visit(batch, message, encounter)
    event_type = _event_type(message)
    _record(batch, pending, message, encounter, event_type, snapshot(found) if found else None, snapshot(encounter))
    events.emit(session, event_type, _payload(message, encounter, visit), into=batch.pending)
    return encounter


def _start_encounter(message: AdtMessage, patient_id: int) -> EncounterState:
    """A visit the feed has not seen before (it may start mid-stay, with a transfer or a discharge)."""
    if message.encounter_class is None:
        raise ApplyError(f"no encounter for this visit yet, and PV1-2 {message.patient_class!r} does not say "
                         "which kind to start")
    return EncounterState(id=None, patient_id=patient_id, status=EncounterStatus.in_progress,
                          class_code=CLASS_CODES[message.encounter_class],
                          period_start=message.admitted_at or message.occurred_at)


def _update(encounter: EncounterState, message: AdtMessage) -> None:
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


def _remember_visit(batch: Batch, message: AdtMessage, encounter: EncounterState) -> VisitState | None:
    """The visit found by visit number is the encounter's own (encounter_id is unique); a visit not found means
    a new encounter, which gets its visit here."""
    if not message.visit_number:
        return None
    assert encounter.id is not None
    visit = batch.visits.get((message.sending_facility, message.visit_number))
    if visit is None:
        visit = VisitState(None, message.sending_facility, message.visit_number, encounter.id, None)
    visit = dataclasses.replace(visit, admission_type=message.admission_type or visit.admission_type)
    batch.keep_visit(visit)
    return visit


def _event_type(message: AdtMessage) -> str:
    trigger = message.trigger
    if trigger == "A04" or (trigger == "A01" and message.encounter_class == "emergency"):
        return contract.ENCOUNTER_ED_VISIT
    return {"A01": contract.ENCOUNTER_ADMITTED, "A06": contract.ENCOUNTER_ADMITTED,
            "A02": contract.ENCOUNTER_TRANSFERRED, "A03": contract.ENCOUNTER_DISCHARGED,
            "A07": contract.ENCOUNTER_UPDATED, "A08": contract.ENCOUNTER_UPDATED}[trigger]


def _cancel(session: Session, batch: Batch, pending: Pending, message: AdtMessage,
            patient_id: int) -> EncounterState:
    found = _find_encounter(session, batch, message, patient_id)
    undone = _latest_uncancelled(session, found.id, CANCELLED_BY[message.trigger]) if found and found.id else None
    if found is None or undone is None:
        wanted = " or ".join(CANCELLED_BY[message.trigger])
        raise ApplyError(f"nothing to cancel: no applied {wanted} for visit {message.visit_number or '(none)'}")
    encounter = dataclasses.replace(found)
    restore(encounter, undone)
    batch.keep(encounter)
    key = contract.event_key(message.sending_facility, message.control_id)
    undone.cancelled_by_key, undone.cancelled_at = key, utcnow()
    _record(batch, pending, message, encounter, contract.ENCOUNTER_EVENT_CANCELLED, snapshot(found),
            snapshot(encounter))
    events.emit(session, contract.ENCOUNTER_EVENT_CANCELLED,
                _payload(message, encounter, _visit_of(session, batch, message, encounter),
                         cancelled_event_key=undone.event_key), into=batch.pending)
    return encounter


def _visit_of(session: Session, batch: Batch, message: AdtMessage, encounter: EncounterState) -> VisitState | None:
    if message.visit_number:
        return batch.visits.get((message.sending_facility, message.visit_number))
    row = session.execute(select(Hl7Visit.id, Hl7Visit.facility, Hl7Visit.visit_number, Hl7Visit.encounter_id,
                                 Hl7Visit.admission_type).where(Hl7Visit.encounter_id == encounter.id)).first()
    return VisitState(*row) if row else None


def _latest_uncancelled(session: Session, encounter_id: int, triggers: tuple[str, ...]) -> EncounterChange | None:
    return session.scalar(select(EncounterChange).where(
        EncounterChange.encounter_id == encounter_id, EncounterChange.trigger.in_(triggers),
        EncounterChange.cancelled_by_key.is_(None)).order_by(EncounterChange.id.desc()).limit(1))


def restore(encounter: EncounterState, undone: EncounterChange) -> None:
    """Put back what the undone event changed. An event that created the encounter leaves it cancelled."""
    if undone.before is None:
        encounter.status = EncounterStatus.cancelled
        return
    for name in SNAPSHOT_FIELDS:
        if undone.before.get(name) != undone.after.get(name):
            setattr(encounter, name, _field_value(name, undone.before.get(name)))


def snapshot(encounter: EncounterState) -> dict[str, Any]:
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


def _record(batch: Batch, pending: Pending, message: AdtMessage, encounter: EncounterState, event_type: str,
            before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    """The change row waits with the batch's other pending rows; a message that reads the history first has
    them written (`_reads_history`)."""
    batch.pending.add(EncounterChange, {
        "encounter_id": encounter.id, "message_id": pending.id,
        "event_key": contract.event_key(message.sending_facility, message.control_id), "trigger": message.trigger,
        "event_type": event_type, "before": before, "after": after, "occurred_at": message.occurred_at,
        "recorded_at": utcnow(), "cancelled_by_key": None, "cancelled_at": None})


def _payload(message: AdtMessage, encounter: EncounterState, visit: VisitState | None,
             cancelled_event_key: str | None = None) -> contract.EncounterEventPayload:
    assert encounter.id is not None
    return contract.encounter_event(
        event_key=contract.event_key(message.sending_facility, message.control_id),
        patient_id=encounter.patient_id, encounter_id=encounter.id,
        encounter_class=CLASS_NAMES.get(encounter.class_code, "outpatient"), occurred_at=message.occurred_at,
        facility=encounter.facility, location=encounter.location,
        admitted_at=encounter.period_start,
        discharged_at=encounter.period_end, discharge_disposition=encounter.discharge_disposition,
        admission_type=(visit.admission_type if visit else None) or message.admission_type,
        cancelled_event_key=cancelled_event_key)
