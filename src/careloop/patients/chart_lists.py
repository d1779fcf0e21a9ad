"""The patient page's four clinical lists (active conditions and medications, recent encounters and
observations) read in one statement.

The page is read all day, and each statement costs the API process about 0.15 ms of interpreter time
(SQLAlchemy and the driver) and PostgreSQL a round trip, whatever its rows. So the four lists are one
UNION ALL: each branch keeps its own filter, order and limit, tags its rows with the list they belong to
and their place in it, and puts its fields into shared, typed slots; the rows are sorted back into four
lists of named tuples here. Each list's order and limit are those the page had when they were four
statements, with the row id last so that ties come in the same order every time.
"""

from __future__ import annotations

from datetime import date, datetime
from operator import itemgetter
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import (
    Date,
    Float,
    Integer,
    Select,
    String,
    Uuid,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from careloop.driver_reads import DriverRead
from careloop.models import Condition, Encounter, MedicationRequest, MedicationRequestStatus, Observation
from careloop.models.base import UTCDateTime
from careloop.models.condition import ACTIVE_CLINICAL_STATUSES

RECENT_ENCOUNTERS = 15
RECENT_OBSERVATIONS = 40


class ConditionRow(NamedTuple):
    public_id: UUID
    code_system: str
    code: str
    display: str
    icd10: str | None
    category: str
    clinical_status: str
    onset_date: date | None


class MedicationRow(NamedTuple):
    public_id: UUID
    rxnorm: str
    display: str
    status: str
    dosage_text: str | None
    authored_on: datetime


class EncounterRow(NamedTuple):
    public_id: UUID
    class_code: str
    type_display: str | None
    status: str
    facility: str | None
    location: str | None
    reason_display: str | None
    discharge_disposition: str | None
    period_start: datetime
    period_end: datetime | None


class ObservationRow(NamedTuple):
    public_id: UUID
    code: str
    display: str
    category: str
    value_text: str | None
    unit: str | None
    effective_at: datetime
    value_num: float | None


class ChartLists(NamedTuple):
    conditions: list[ConditionRow]
    medications: list[MedicationRow]
    encounters: list[EncounterRow]
    observations: list[ObservationRow]


# The shared slots: seven texts, a date, two UTC times and a number. Each list fills the slots it needs, in
# its row type's field order (texts first, then date, times, number), and leaves the rest NULL.
_TEXTS = 7
_SLOT_TYPES: list[Any] = [String()] * _TEXTS + [Date(), UTCDateTime(), UTCDateTime(), Float()]
_DATE, _FIRST_TIME, _SECOND_TIME, _NUMBER = _TEXTS, _TEXTS + 1, _TEXTS + 2, _TEXTS + 3

_KINDS: tuple[tuple[type[Any], int, tuple[int, ...]], ...] = (
    # row type, and which slots hold its fields after public_id
    (ConditionRow, 0, (0, 1, 2, 3, 4, 5, _DATE)),
    (MedicationRow, 1, (0, 1, 2, 3, _FIRST_TIME)),
    (EncounterRow, 2, (0, 1, 2, 3, 4, 5, 6, _FIRST_TIME, _SECOND_TIME)),
    (ObservationRow, 3, (0, 1, 2, 3, 4, _FIRST_TIME, _NUMBER)),
)


# Per list: its row type's constructor from a sequence, and the getter of its fields (public_id, then its
# slots; a row is (kind, place, public_id, slot 0, ...)).
_READERS = tuple((row_type._make, itemgetter(2, *(3 + slot for slot in slots))) for row_type, _, slots in _KINDS)


def chart_lists(session: Session, patient_id: int) -> ChartLists:
    rows = _LISTS.rows(session, {"patient_id": patient_id})
    lists: tuple[list[Any], ...] = ([], [], [], [])
    for row in rows:
        kind = row[0]
        make, fields = _READERS[kind]
        lists[kind].append(make(fields(row)))
    return ChartLists(*lists)


def _statement() -> Select[Any]:
    patient: Any = bindparam("patient_id")
    conditions = _branch(0, [Condition.code_system, Condition.code, Condition.display, Condition.icd10,
                             Condition.category, Condition.clinical_status, Condition.onset_date],
                         Condition.public_id, (Condition.onset_date.desc(), Condition.id),
                         Condition.patient_id == patient, Condition.clinical_status.in_(ACTIVE_CLINICAL_STATUSES),
                         Condition.category != "encounter-diagnosis")
    medications = _branch(1, [MedicationRequest.rxnorm, MedicationRequest.display, MedicationRequest.status,
                              MedicationRequest.dosage_text, MedicationRequest.authored_on],
                          MedicationRequest.public_id, (MedicationRequest.display, MedicationRequest.id),
                          MedicationRequest.patient_id == patient,
                          MedicationRequest.status.in_([MedicationRequestStatus.active,
                                                        MedicationRequestStatus.on_hold]))
    encounters = _branch(2, [Encounter.class_code, Encounter.type_display, Encounter.status, Encounter.facility,
                             Encounter.location, Encounter.reason_display, Encounter.discharge_disposition,
                             Encounter.period_start, Encounter.period_end],
                         Encounter.public_id, (Encounter.period_start.desc(), Encounter.id),
                         Encounter.patient_id == patient, limit=RECENT_ENCOUNTERS)
    observations = _branch(3, [Observation.code, Observation.display, Observation.category, Observation.value_text,
                               Observation.unit, Observation.effective_at, Observation.value_num],
                           Observation.public_id, (Observation.effective_at.desc(), Observation.code, Observation.id),
                           Observation.patient_id == patient, limit=RECENT_OBSERVATIONS)
    every = union_all(conditions, medications, encounters, observations).subquery("lists")
    columns = [("kind", Integer()), ("place", Integer()), ("public_id", Uuid()),
               *((f"slot{n}", slot_type) for n, slot_type in enumerate(_SLOT_TYPES))]
    return (select(*(literal_column(f"lists.{name}", column_type) for name, column_type in columns))
            .select_from(every).order_by(literal_column("lists.kind"), literal_column("lists.place")))


def _branch(kind: int, fields: list[Any], public_id: Any, order: tuple[Any, ...], *where: Any,
            limit: int | None = None) -> Select[Any]:
    """One list's rows as (kind, place, public_id, slot 0, ..., slot 10): its fields in their slots, typed as the
    slots are (an enum column comes back as its text), NULL in the others."""
    slots: list[Any] = [type_coerce(cast(null(), slot_type), slot_type) for slot_type in _SLOT_TYPES]
    for field, slot in zip(fields, _KINDS[kind][2], strict=True):
        slots[slot] = type_coerce(field, _SLOT_TYPES[slot])
    columns = [literal_column(str(kind)).label("kind"), func.row_number().over(order_by=order).label("place"),
               type_coerce(public_id, Uuid()).label("public_id"),
               *(value.label(f"slot{n}") for n, value in enumerate(slots))]
    query = select(*columns).where(*where).order_by(*order)
    if limit is not None:
        query = query.limit(limit)
    # A subquery, so that each branch's ORDER BY and LIMIT stay its own (SQLite refuses them on a compound's
    # members otherwise), read with `*`: the statement stays under the 4 kB up to which psycopg caches its
    # conversion of a query's placeholders (it cost 50-85 µs a call above it).
    return select(literal_column("*")).select_from(query.subquery())


_LISTS = DriverRead(_statement())
