"""seed_population: generate the synthetic population chunk by chunk and write each chunk in bulk.

A producer thread generates and encodes (generate_chunk, writer.encode) a few tables ahead of the writing
(load.write_chunks): one transaction per chunk on SQLite, two connections on PostgreSQL. Either way a chunk
is written whole or not at all. Into empty patient tables, their secondary indexes are built after the load
rather than kept up during it (indexes.py).

Determinism: the same seed, the same as_of day and the same starting database (empty, or holding the same
rows) give identical rows, public ids included. The one exception is users.password_hash: Argon2 salts are
random by design. as_of defaults to today (UTC), so data seeded today stays "recent" (tasks due around now,
some overdue); pass as_of to reproduce a population on another day.

Each chunk draws from its own stream, PCG64 seeded with (seed, first patient key, chunk number), so chunks
are independent of the chunk before, and a seed appended to an existing population (--append) starts from
a different key and does not repeat it.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Connection, Engine, func, select

from careloop.auth.passwords import hash_password
from careloop.clock import utcnow
from careloop.errors import Conflict
from careloop.models import Patient
from careloop.planner_statistics import refresh_statistics
from careloop.synth import (
    careteams,
    clinical,
    demographics,
    diagnoses,
    indexes,
    measurements,
    utilisation,
    worklists,
)
from careloop.synth.draw import Bools, Ints, between, chance, days
from careloop.synth.frames import SECONDS_PER_DAY, Frame, concat, frame_length
from careloop.synth.load import write_chunks
from careloop.synth.pipeline import read_ahead
from careloop.synth.staff import DEMO_PASSWORD, ExistingStaff, StaffPlan, StaffPools, plan_staff
from careloop.synth.writer import (
    Batch,
    IdAllocator,
    advance_sequences,
    encode,
    prepare_connection,
    write_batch,
)

CHUNK_SIZE = 10_000
STAFF_TABLES = ("users", "teams", "team_memberships")
# Parents before children, so foreign keys hold at every statement; on PostgreSQL the first three go down the
# first writing lane and the rest, which refer to those patients (and encounter diagnoses to those encounters),
# down the second once the first lane's chunk is committed (see load.py).
PATIENT_TABLES = ("patients", "encounters", "observations", "patient_identifiers", "conditions",
                  "medication_requests", "care_team_members", "tasks", "task_events")
TABLES = STAFF_TABLES + PATIENT_TABLES
_STAFF_STREAM = 0x5747  # a fixed key for the staff's own random stream


class PopulationExists(Conflict):
    def __init__(self, patients: int) -> None:
        super().__init__(f"The database already holds {patients:,} patients; seeding again would mix two "
                         "populations. Use --append to add to it, or start from an empty database.",
                         details={"patients": patients})
        self.patients = patients


@dataclass(frozen=True)
class SeedSummary:
    rows: dict[str, int] = field(hash=False)
    seconds: float
    as_of: datetime

    @property
    def patients(self) -> int:
        return self.rows.get("patients", 0)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def today_utc() -> datetime:
    return utcnow().replace(hour=0, minute=0, second=0, microsecond=0)


def seed_population(engine: Engine, *, patients: int, seed: int, progress: Callable[[int], None] | None = None,
                    as_of: datetime | None = None, append: bool = False,
                    chunk_size: int = CHUNK_SIZE) -> SeedSummary:
    """Write `patients` synthetic patients, their clinical record and their work, plus the staff and teams
    who look after them, chunk by chunk. Refuses (PopulationExists) if the database already holds patients,
    unless `append`."""
    if patients < 1:
        raise ValueError("patients must be at least 1")
    started = time.perf_counter()
    anchor = (as_of or today_utc()).astimezone(UTC)
    as_of_s = int(anchor.timestamp())
    dialect = engine.dialect.name
    rows: Counter[str] = Counter()
    indexes.restore(engine, PATIENT_TABLES)  # an earlier seed killed during its load may have left some out
    with engine.begin() as conn:
        existing = conn.scalar(select(func.count()).select_from(Patient)) or 0
        if existing and not append:
            raise PopulationExists(existing)
        allocator = IdAllocator.from_database(conn, TABLES)
        staff = plan_staff(np.random.Generator(np.random.PCG64([seed, _STAFF_STREAM])), patients=patients,
                           as_of=as_of_s, password_hash=hash_password(DEMO_PASSWORD),
                           existing=ExistingStaff.read(conn), allocator=allocator)
        staff_frames = {"users": staff.users, "teams": staff.teams, "team_memberships": staff.team_memberships}
        rows.update(_write(conn, _encode(dialect, staff_frames)))
    first_patient = allocator.peek("patients")
    source = _batches(dialect, patients, seed, as_of_s, chunk_size, staff.pools, allocator, first_patient)
    with indexes.built_after_load(engine, PATIENT_TABLES), closing(read_ahead(source, depth=3)) as items:
        rows.update(write_chunks(engine, items, progress,
                                 before_cleanup=lambda: indexes.restore(engine, PATIENT_TABLES)))
    with engine.begin() as conn:  # after the indexes exist, so ANALYZE sees them
        refresh_statistics(conn)
    return SeedSummary(dict(rows), time.perf_counter() - started, anchor)


def chunk_rng(seed: int, first_patient: int, number: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64([seed, first_patient, number]))


def _batches(dialect: str, patients: int, seed: int, as_of: int, chunk_size: int, pools: StaffPools,
             allocator: IdAllocator, first_patient: int) -> Iterator[Batch | int]:
    """Each chunk's tables, encoded in write order, then the chunk's patient count to close it."""
    for number in range(math.ceil(patients / chunk_size)):
        n = min(chunk_size, patients - number * chunk_size)
        frames = generate_chunk(chunk_rng(seed, first_patient, number), n, as_of, pools, allocator)
        for table in TABLES:
            if frame_length(frames.get(table, {})):
                yield encode(dialect, table, frames.pop(table))
        yield n


def _encode(dialect: str, frames: dict[str, Frame]) -> list[Batch]:
    return [encode(dialect, table, frames[table]) for table in TABLES if frame_length(frames.get(table, {}))]


def _write(conn: Connection, batches: list[Batch]) -> Counter[str]:
    prepare_connection(conn)
    written: Counter[str] = Counter()
    for batch in batches:
        write_batch(conn, batch)
        written[batch.table] += batch.rows
    advance_sequences(conn, {batch.table: batch.last_id for batch in batches})
    return written


@dataclass(frozen=True)
class _Mortality:
    deceased: Bools
    deceased_at: Ints  # seconds; meaningless where not deceased


def _mortality(rng: np.random.Generator, who: demographics.People, found: clinical.Conditions) -> _Mortality:
    """About 1-2% died in the last year, likelier when old and sick."""
    p = np.clip(0.003 + 0.004 * found.charlson + 0.02 * (who.age >= 85) + 0.006 * (who.age >= 75), 0, 0.3)
    deceased = chance(rng, p)
    adult = (who.birth_day + int(18 * demographics.DAYS_PER_YEAR) + 1) * SECONDS_PER_DAY
    at = np.maximum(who.as_of - between(rng, days(2), days(365), who.n), adult)  # the programme is for adults
    return _Mortality(deceased, at)


def _enrolment(rng: np.random.Generator, who: demographics.People, dead: _Mortality) -> Ints:
    """When each patient joined the programme: up to five years back, always before death."""
    enrolled = who.as_of - between(rng, days(30), days(1800), who.n)
    return np.where(dead.deceased, np.minimum(enrolled, dead.deceased_at - days(30)), enrolled)


def generate_chunk(rng: np.random.Generator, n: int, as_of: int, pools: StaffPools,
                   allocator: IdAllocator) -> dict[str, Frame]:
    """All rows of n new patients, as frames keyed by table. Pure: no I/O, keys from `allocator`."""
    patient_ids = allocator.take("patients", n)
    # Public ids carry a time that rises with the chunk's first key: as_of, plus one millisecond per patient.
    who = demographics.draw_people(rng, n, as_of, minted_ms=as_of * 1000 + int(patient_ids[0]))
    found = clinical.draw_conditions(rng, who)
    dead = _mortality(rng, who, found)
    who = replace(who, until=np.where(dead.deceased, dead.deceased_at, as_of))
    enrolled = _enrolment(rng, who, dead)
    primary = careteams.assign_primary(rng, n, pools)
    meds = clinical.draw_medicines(rng, found, dead.deceased)
    support = careteams.assign_support(rng, who, found, meds, pools)
    frames: dict[str, Frame] = {
        "patients": demographics.patient_frame(rng, who, patient_ids, primary.region, dead.deceased_at,
                                               dead.deceased, enrolled),
        "patient_identifiers": demographics.identifier_frame(rng, who, patient_ids, allocator),
        "conditions": clinical.condition_frame(rng, who, found, patient_ids, allocator),
        "medication_requests": clinical.medication_frame(rng, who, meds, patient_ids, primary.physician_name,
                                                         allocator),
    }
    encounters = utilisation.draw_encounters(rng, who, found, primary.region, dead.deceased, dead.deceased_at,
                                             patient_ids, allocator)
    frames["encounters"] = encounters.frame
    frames["conditions"] = concat([frames["conditions"], diagnoses.encounter_diagnosis_frame(
        rng, who, found, encounters, patient_ids, allocator)])
    frames["observations"] = measurements.observation_frame(rng, who, found, encounters, patient_ids, allocator)
    frames["care_team_members"] = careteams.care_team_frame(rng, who, patient_ids, enrolled, primary, support,
                                                            pools, allocator)
    frames["tasks"], frames["task_events"] = worklists.task_frames(
        rng, who, found, meds, primary, support, encounters, dead.deceased, dead.deceased_at, enrolled,
        patient_ids, pools, allocator)
    return frames


def plan_in_memory(seed: int, patients: int, as_of: datetime) -> tuple[StaffPlan, IdAllocator]:
    """Staff for an empty database without touching one: for tests and benchmarks of the pure generator."""
    allocator = IdAllocator()
    plan = plan_staff(np.random.Generator(np.random.PCG64([seed, _STAFF_STREAM])), patients=patients,
                      as_of=int(as_of.timestamp()), password_hash="unused-in-memory",  # noqa: S106 - no account
                      existing=ExistingStaff(), allocator=allocator)
    return plan, allocator
