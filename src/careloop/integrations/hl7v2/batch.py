"""What one apply job holds for its batch of messages: read with a few queries for all of them, changed in
memory message by message, and written back with a few statements at the end.

Applying message by message through the ORM cost a dozen statements and an ORM flush per message (27
messages/s under load). Here the batch reads once: the identifiers already held, each message's patient match,
the visits the messages name and their encounters. Each message still runs in its own savepoint; what it
changes waits in memory (encounters and visits as plain states, replaced rather than changed in place, and
the audit rows, change rows and outbox events it adds) until `write`, so a message that fails is forgotten by
putting back what the batch held before it (`checkpoint` / `forget`). A new encounter is written then too, under a
key reserved when the message starts it (reserved_keys.py): its id goes into the change row and the event at once.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from careloop.access import Actor
from careloop.bulk_rows import python_defaults
from careloop.driver_writes import driver_insert
from careloop.integrations.hl7v2.adt import AdtMessage, Refusal, from_reading, read_adt
from careloop.integrations.hl7v2.matching import Match, match_patients
from careloop.key_match import KeyLookup
from careloop.models.encounter import Encounter, EncounterClass, EncounterStatus
from careloop.models.hl7v2 import Hl7Message, Hl7MessageStatus, Hl7Visit, is_held
from careloop.pending_inserts import PendingInserts, update_by_id
from careloop.reserved_keys import ReservedKeys

VisitKey = tuple[str, str]  # (MSH-4 sending facility, PV1-19 visit number)


@dataclass
class Pending:
    """A received message as the batch read it, and what became of it."""

    id: int
    public_id: uuid.UUID
    raw: str
    reading: list[Any] | None  # the listener's (adt.reading_of)
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

    def mark(self, status: Hl7MessageStatus, reason: str | None) -> None:
        self.outcome = {"status": status, "error": reason}


@dataclass
class EncounterState:
    """The encounter columns ADT messages read and change."""

    id: int | None  # None until a new encounter is inserted
    patient_id: int
    status: EncounterStatus
    class_code: EncounterClass
    period_start: datetime
    period_end: datetime | None = None
    facility: str | None = None
    location: str | None = None
    discharge_disposition: str | None = None
    discharge_disposition_source: str | None = None


# Field by field rather than dataclasses.asdict, which deep-copies every value.
_ENCOUNTER_FIELDS = tuple(f.name for f in dataclasses.fields(EncounterState))
ENCOUNTER_COLUMNS = tuple(getattr(Encounter, name) for name in _ENCOUNTER_FIELDS)
# Core statements built once: an ORM insert builds and caches a statement per call, which cost more than the row;
# new encounters go through driver_writes (the driver's cursor).
_ENCOUNTERS, _VISITS = cast(Table, Encounter.__table__), cast(Table, Hl7Visit.__table__)
_INSERT_VISIT = insert(_VISITS).returning(_VISITS.c.id, sort_by_parameter_order=True)


@dataclass(frozen=True)
class VisitState:
    id: int | None  # None until the batch writes a visit it started
    facility: str
    visit_number: str
    encounter_id: int
    admission_type: str | None  # PV1-4 as last sent


@dataclass(frozen=True)
class Checkpoint:
    """What the batch held before a message, to put back if the message fails."""

    pending_mark: int
    visits: dict[VisitKey, VisitState]
    encounters: dict[int, EncounterState]
    new_encounters: tuple[int, ...]


@dataclass
class Batch:
    actor: Actor
    messages: list[Pending]
    held_since: dict[tuple[str, str], int]  # identifier -> id of the first held message that carries it
    visits: dict[VisitKey, VisitState]  # as changed so far, including the visits this batch starts
    encounters: dict[int, EncounterState]  # as changed so far, including the encounters this batch starts
    stored_visits: dict[VisitKey, VisitState]  # as the database holds them: `write` sends the difference
    stored_encounters: dict[int, EncounterState]
    pending: PendingInserts = field(default_factory=PendingInserts)
    new_encounters: tuple[int, ...] = ()  # started by this batch's messages, not written yet (their keys reserved)
    keys: ReservedKeys = field(default_factory=ReservedKeys)

    @classmethod
    def load(cls, session: Session, actor: Actor, messages: list[Pending], zone: str) -> Batch:
        for pending in messages:
            pending.message = from_reading(pending.reading) or _read(pending.raw, zone)
        readable = [p for p in messages if isinstance(p.message, AdtMessage)]
        adts = [p.message for p in readable if isinstance(p.message, AdtMessage)]
        for pending, match in zip(readable, match_patients(session, [m.identifiers for m in adts]), strict=True):
            pending.match = match
        visits = _visits(session, adts)
        encounters = _encounters(session, sorted({v.encounter_id for v in visits.values()}))
        return cls(actor, messages, _held_since(session, messages), visits, encounters, dict(visits),
                   dict(encounters))

    def waits_behind_held(self, pending: Pending) -> bool:
        key = pending.held_key
        return key is not None and self.held_since.get(key, pending.id) < pending.id

    def hold(self, pending: Pending, reason: str | None) -> None:
        """Held, and so is every later message for its identifier (in this batch through `held_since`)."""
        pending.mark(Hl7MessageStatus.held, reason)
        if (key := pending.held_key) is not None:
            self.held_since[key] = min(self.held_since.get(key, pending.id), pending.id)

    def encounter(self, session: Session, encounter_id: int) -> EncounterState:
        """As the batch has it (changed by earlier messages), else as stored."""
        if encounter_id not in self.encounters:
            loaded = _encounters(session, [encounter_id])
            self.encounters.update(loaded)
            self.stored_encounters.update(loaded)
        return self.encounters[encounter_id]

    def start_encounter(self, session: Session, encounter: EncounterState) -> None:
        """A new encounter gets its key now; its row is written by `write`, as it stands by then."""
        encounter.id = self.keys.take(session, _ENCOUNTERS)
        self.new_encounters = (*self.new_encounters, encounter.id)

    def keep(self, encounter: EncounterState) -> None:
        assert encounter.id is not None
        self.encounters[encounter.id] = encounter

    def keep_visit(self, visit: VisitState) -> None:
        self.visits[(visit.facility, visit.visit_number)] = visit

    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.pending.mark(), dict(self.visits), dict(self.encounters), self.new_encounters)

    def forget(self, checkpoint: Checkpoint) -> None:
        self.pending.forget_since(checkpoint.pending_mark)
        self.visits, self.encounters = checkpoint.visits, checkpoint.encounters
        self.new_encounters = checkpoint.new_encounters  # a key taken for a forgotten encounter is a gap

    def write(self, session: Session) -> None:
        """Send what changed since the last write: new encounters, changed ones, visits, then the pending rows."""
        if self.new_encounters:
            new = [self.encounters[i] for i in self.new_encounters]
            rows = [_encounter_row(e) for e in new]
            driver_insert(_ENCOUNTERS, tuple(rows[0])).many(session, rows)
            self.stored_encounters.update((e.id, e) for e in new if e.id is not None)
            self.new_encounters = ()
        changed = [e for i, e in self.encounters.items() if self.stored_encounters.get(i) != e]
        update_by_id(session, Encounter, [_encounter_columns(e) for e in changed])
        self._write_visits(session)
        self.pending.write(session)
        self.stored_encounters = dict(self.encounters)  # shared safely: a message changes a copy (see apply.py)

    def _write_visits(self, session: Session) -> None:
        new = [v for v in self.visits.values() if v.id is None]
        if new:
            rows = [{"facility": v.facility, "visit_number": v.visit_number, "encounter_id": v.encounter_id,
                     "admission_type": v.admission_type} for v in new]
            ids = session.scalars(_INSERT_VISIT, rows).all()
            for visit, visit_id in zip(new, ids, strict=True):
                self.keep_visit(dataclasses.replace(visit, id=visit_id))
        changed = [v for k, v in self.visits.items() if v.id is not None and self.stored_visits.get(k) not in (None, v)]
        update_by_id(session, Hl7Visit, [{"id": v.id, "admission_type": v.admission_type} for v in changed])
        self.stored_visits = dict(self.visits)

    def finish(self, session: Session) -> None:
        """Write what is left and every message's outcome: one UPDATE by primary key per set of columns (a
        held or failed message keeps the patient and encounter columns it had)."""
        self.write(session)
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for p in self.messages:
            by_columns.setdefault(tuple(p.outcome), []).append({"id": p.id, **p.outcome})
        for rows in by_columns.values():
            update_by_id(session, Hl7Message, rows)


def _encounter_row(encounter: EncounterState) -> dict[str, Any]:
    row = {name: getattr(encounter, name) for name in _ENCOUNTER_FIELDS}
    return {**python_defaults(_ENCOUNTERS, row), **row}  # the public id


def _encounter_columns(encounter: EncounterState) -> dict[str, Any]:
    return {name: getattr(encounter, name) for name in _ENCOUNTER_FIELDS if name != "patient_id"}  # never changes


def _read(raw: str, zone: str) -> AdtMessage | Refusal:
    try:
        return read_adt(raw, zone)
    except Refusal as refusal:
        return refusal


def _held_since(session: Session, messages: list[Pending]) -> dict[tuple[str, str], int]:
    """For each identifier of the batch, the first message already held on it (the batch's own come later)."""
    keys = sorted({k for p in messages if (k := p.held_key) is not None})
    if not keys:
        return {}
    return {(system, value): first for system, value, first in _HELD.rows(session, keys)}


# On the held messages' own index: by all of a patient's messages, the lookup read every one the patient ever had.
_HELD = KeyLookup(select(Hl7Message.identifier_system, Hl7Message.identifier_value, func.min(Hl7Message.id))
                  .where(is_held())
                  .group_by(Hl7Message.identifier_system, Hl7Message.identifier_value),
                  (Hl7Message.identifier_system, Hl7Message.identifier_value))


def _visits(session: Session, messages: list[AdtMessage]) -> dict[VisitKey, VisitState]:
    """The visits the batch names, in one query."""
    keys = sorted({(m.sending_facility, m.visit_number) for m in messages if m.visit_number})
    if not keys:
        return {}
    return {(row[1], row[2]): VisitState(*row) for row in _VISITS_BY_KEY.rows(session, keys)}


_VISITS_BY_KEY = KeyLookup(select(Hl7Visit.id, Hl7Visit.facility, Hl7Visit.visit_number, Hl7Visit.encounter_id,
                                  Hl7Visit.admission_type), (Hl7Visit.facility, Hl7Visit.visit_number))


def _encounters(session: Session, ids: list[int]) -> dict[int, EncounterState]:
    if not ids:
        return {}
    return {row[0]: EncounterState(*row) for row in _ENCOUNTERS_BY_ID.rows(session, [(i,) for i in ids])}


# By KeyLookup (statements of a few sizes, on the driver's cursor): an IN list of the batch's length was a new
# statement for SQLAlchemy to build and run through its execution path for each batch.
_ENCOUNTERS_BY_ID = KeyLookup(select(*ENCOUNTER_COLUMNS), (Encounter.id,))
