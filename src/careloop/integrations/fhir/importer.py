"""Importing FHIR R4 into careloop: read, check, store every resource with its JSON, versions and search
index, map what careloop models into its own tables, and say what happened.

How a run goes:
1. Each resource is read and prepared without the database (pipeline.py, prepare.py).
2. A batch is applied in one savepoint (apply.py): one query per type finds what exists (same content:
   unchanged; other content: a new version), keys are handed out up front, references and the rows the
   mappers link to are looked up per batch, and everything is written in bulk. A resource whose rows need
   a reference that has not resolved yet is stored and marked waiting.
3. At the end of the run, waiting resources are mapped again with everything the run brought, and the
   references still unresolved are counted in the summary: reported, never guessed.

A transaction Bundle is all or nothing (FHIR R4 http.html#transaction): one bad entry rejects the bundle,
and a database error rolls its savepoint back. NDJSON lines and collection or batch entries stand alone
(http.html#transaction: batch entries succeed or fail independently): a bad one is rejected with its file
and line and the rest go on; if a batch fails in the database, its resources are retried one by one so
only the culprit is rejected. The run is its own unit of work: it commits every few tens of thousands of
resources (bounding SQLite's WAL and PostgreSQL's open transaction) and is idempotent, so an interrupted
import is completed by running it again.
"""

from __future__ import annotations

import gc
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from careloop import db
from careloop.access import Actor, system_actor
from careloop.clock import utcnow
from careloop.integrations.fhir import reader, references, structure
from careloop.integrations.fhir.apply import COMPARTMENT_PATHS, Applier
from careloop.integrations.fhir.mappers import Context
from careloop.integrations.fhir.pipeline import PreparedUnit, prepared_units
from careloop.integrations.fhir.prepare import (
    Existing,
    Notes,
    Prepared,
    Shaper,
    map_resource,
    needed_keys,
    reference_rows,
)
from careloop.integrations.fhir.reader import Entry
from careloop.integrations.fhir.references import Ref, ref
from careloop.integrations.fhir.store import Writer
from careloop.integrations.fhir.summary import UNREADABLE, ImportSummary
from careloop.integrations.fhir.targets import Targets
from careloop.models import FhirImportRun

BATCH = 2000  # resources per savepoint and per lookup query
COMMIT_EVERY = 50_000  # resources per transaction
ANALYZE_FIRST = 10_000  # resources written before PostgreSQL's statistics are first refreshed (then at 2x, 4x...)
DEFAULT_SOURCE = "default"
_DB_ERRORS = (sqlite3.Error, psycopg.Error, DBAPIError)


@dataclass(frozen=True, slots=True)
class ImportProgress:
    resources: int  # read so far
    bytes_done: int
    bytes_total: int


ProgressCallback = Callable[[ImportProgress], None]


def import_paths(paths: Iterable[str | Path], *, source: str = DEFAULT_SOURCE,
                 progress: ProgressCallback | None = None, actor: Actor | None = None) -> ImportSummary:
    """Import FHIR R4 files, directories, .gz and .zip (Bundles and Bulk Data NDJSON) into the database
    careloop is configured for.

    `source` names the system the data came from: identity and references are per source, so two feeds that
    both have a Patient/123 stay two patients. Runs as the system actor on channel "fhir" and writes one
    audit record per patient touched."""
    plan = reader.plan([Path(p) for p in paths])
    actor = actor or system_actor("fhir-import", channel="fhir")
    summary = ImportSummary(source=source, skipped_files=plan.skipped)
    started = time.perf_counter()
    run_id = _start_run(source, actor)
    notes = Notes()
    try:
        with _collector_paused(), db.session_factory()() as session:
            run = Run(session, source=source, actor=actor, summary=summary, run_id=run_id, notes=notes)
            try:
                done = read = 0
                for prepared in prepared_units(plan, run.writer.postgres, run.now, notes):
                    run.apply(prepared)
                    done += prepared.unit.consumed
                    read += len(prepared.unit.entries)
                    if progress is not None:
                        progress(ImportProgress(read, done, plan.total_bytes))
                run.finish()
                _merge(summary, notes)
                summary.seconds = time.perf_counter() - started
                run.close_run("finished")
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                run.close()
    except BaseException:
        _fail_run(run_id)
        raise
    return summary


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Millions of small dicts and no reference cycles: the cyclic collector would rescan them again and
    again (about a third of the parse time) for no garbage."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _merge(summary: ImportSummary, notes: Notes) -> None:
    summary.stored_only.update(notes.stored_only)
    summary.unmapped.update(notes.unmapped)
    summary.unmapped_snomed.update(notes.unmapped_snomed)


def _start_run(source: str, actor: Actor) -> int:
    with db.unit_of_work() as session:
        run = FhirImportRun(source=source, actor_username=actor.username, started_at=utcnow())
        session.add(run)
        session.flush()
        return run.id


def _fail_run(run_id: int) -> None:
    with db.unit_of_work() as session:
        run = session.get(FhirImportRun, run_id)
        if run is not None and run.status == "running":
            run.status, run.finished_at = "failed", utcnow()


class Run:
    """The writing side of one import: units in, savepoints, commits, and the end of the run."""

    def __init__(self, session: Session, *, source: str, actor: Actor, summary: ImportSummary, run_id: int,
                 notes: Notes) -> None:
        self.session = session
        self.source = source
        self.summary = summary
        self.run_id = run_id
        self.notes = notes
        self.now = utcnow()
        self.writer = Writer(session, self.now)
        self.targets = Targets(self.writer, source)
        self.applier = Applier(session, self.writer, self.targets, source=source, run_id=run_id, actor=actor,
                               summary=summary)
        self.shaper = Shaper(self.writer.postgres, self.now)
        self.since_commit = 0
        self.written = 0
        self.next_analyze = ANALYZE_FIRST

    def close(self) -> None:
        self.writer.close()

    def apply(self, prepared: PreparedUnit) -> None:
        for entry in prepared.unit.entries:
            self.summary.of(_type_of(entry)).read += 1
        if prepared.unit.atomic:
            self._transaction(prepared)
        else:
            self._independent(prepared)
        if self.since_commit >= COMMIT_EVERY:
            self.session.commit()
            self.since_commit = 0
            self.now = utcnow()
            self.writer.begin(self.session, self.now)
        if self.written >= self.next_analyze:
            self.writer.analyze()
            self.next_analyze = self.written * 2

    def _transaction(self, prepared: PreparedUnit) -> None:
        unit = prepared.unit
        problems = [(entry, item) for entry, item in zip(unit.entries, prepared.items, strict=True)
                    if isinstance(item, str)]
        if problems:
            why = unit.error or f"{problems[0][0].location}: {problems[0][1]}"
            for entry, item in zip(unit.entries, prepared.items, strict=True):
                own = item if isinstance(item, str) and unit.error is None else None
                self._reject(entry, own or f"transaction not applied (all or nothing): {why}")
            return
        batch = [item for item in prepared.items if not isinstance(item, str)]
        try:
            with _savepoint(self.session):
                self.applier.apply(batch)
        except _DB_ERRORS as exc:
            self.applier.drop_batch()
            for entry in unit.entries:
                self._reject(entry, f"transaction not applied (all or nothing): {_db_message(exc)}")
            return
        self._count(batch)

    def _independent(self, prepared: PreparedUnit) -> None:
        batch: list[Prepared] = []
        keys: set[tuple[str, str]] = set()
        for entry, item in zip(prepared.unit.entries, prepared.items, strict=True):
            if isinstance(item, str):
                self._reject(entry, item)
                continue
            key = (item.rtype, item.source_id)
            if key in keys or len(batch) >= BATCH:
                # The same resource twice: apply what came before, so the second copy is compared with the
                # first as a later version would be.
                self._batch(batch)
                batch, keys = [], set()
            keys.add(key)
            batch.append(item)
        if batch:
            self._batch(batch)

    def _batch(self, batch: list[Prepared]) -> None:
        try:
            with _savepoint(self.session):
                self.applier.apply(batch)
        except _DB_ERRORS:
            self.applier.drop_batch()
            self._one_by_one(batch)
            return
        self._count(batch)

    def _one_by_one(self, batch: list[Prepared]) -> None:
        for prepared in batch:
            _map_again(prepared, self.shaper, self.now)
            try:
                with _savepoint(self.session):
                    self.applier.apply([prepared])
            except _DB_ERRORS as exc:
                self.applier.drop_batch()
                self._reject(prepared.entry, f"not stored: {_db_message(exc)}")
                continue
            self._count([prepared])

    def _reject(self, entry: Entry, reason: str) -> None:
        self.summary.reject(entry.location, _type_of(entry), reason)

    def _count(self, batch: list[Prepared]) -> None:
        self.applier.keep_batch()
        for prepared in batch:
            counts = self.summary.of(prepared.rtype)
            if prepared.existing is None:
                counts.created += 1
            elif prepared.is_new_version:
                counts.updated += 1
            else:
                counts.unchanged += 1
        self.since_commit += len(batch)
        self.written += len(batch)

    # -- the end of the run ----------------------------------------------------------------------------

    def finish(self) -> None:
        self._map_waiting()
        self._resolve_references()

    def _map_waiting(self) -> None:
        """Map again, in dependency order, what waited for references: the whole run has been read now."""
        waiting = self.writer.execute(  # the literal lets both backends use the partial index
            "SELECT id, resource_type FROM fhir_resources WHERE source = ? AND map_status = 'waiting'",
            (self.source,))
        waiting.sort(key=lambda row: (structure.type_rank(row[1]), row[0]))
        for start in range(0, len(waiting), BATCH):
            order = {row[0]: index for index, row in enumerate(waiting[start:start + BATCH])}
            rows = self.writer.select_in(
                "SELECT r.id, r.resource_type, r.source_id, r.logical_id, r.version_id, r.domain_id, v.origin, "
                "v.resource_json FROM fhir_resources r JOIN fhir_resource_versions v "
                "ON v.resource_id = r.id AND v.version_id = r.version_id WHERE", "r.id", list(order))
            batch = [self._stored(row) for row in sorted(rows, key=lambda r: order[r[0]])]
            with _savepoint(self.session):
                self.applier.apply(batch, final=True, remap=True)
            self.applier.keep_batch()

    def _stored(self, row: tuple[Any, ...]) -> Prepared:
        resource_id, rtype, source_id, logical_id, version_id, domain_id, origin, text = row
        resource = orjson.loads(text)
        found = references.find(resource, {})
        mapped = self.shaper.shape(map_resource(rtype, resource, Context({}, self.now), Notes()))
        prepared = Prepared(Entry(origin or "", resource), rtype, source_id, text, b"", found, set(), None, None,
                            None, mapped, needed_keys(found, mapped), reference_rows(found),
                            resource_id=resource_id, logical_id=logical_id, version_id=version_id)
        prepared.existing = Existing(resource_id, logical_id, version_id, b"", domain_id)
        return prepared

    def _resolve_references(self) -> None:
        """Resolve what earlier batches (or runs) of this source could not, then report what is left."""
        rows = self.writer.execute(
            "SELECT f.resource_id, f.seq, f.path, f.target_type, f.target_id, f.target_identifier, f.reference, "
            "r.resource_type, r.source_id, r.patient_id FROM fhir_references f "
            "JOIN fhir_resources r ON r.id = f.resource_id "
            "WHERE f.target_resource_id IS NULL AND r.source = ?", (self.source,))
        found = [(row, ref(row[3], row[4], row[5], row[6])) for row in rows]
        self.targets.prefetch(target.key for _, target in found if target.key is not None)
        resolved: list[list[Any]] = []
        compartments: list[list[Any]] = []
        for row, target_ref in found:
            target = self.targets.get(target_ref)
            if target is None:
                self.summary.unresolved_reference(
                    row[2], target_ref.type, f"{row[7]}/{row[8]} {row[2]} -> {_describe(target_ref)}")
                continue
            resolved.append([target.resource_id, row[0], row[1]])
            if row[9] is None and row[2] in COMPARTMENT_PATHS and target_ref.type == "Patient" and target.domain_id:
                compartments.append([target.domain_id, row[0]])
        self.writer.executemany(
            "UPDATE fhir_references SET target_resource_id = ? WHERE resource_id = ? AND seq = ?", resolved)
        self.writer.executemany(
            "UPDATE fhir_resources SET patient_id = ? WHERE id = ? AND patient_id IS NULL", compartments)

    def close_run(self, status: str) -> None:
        run = self.session.get(FhirImportRun, self.run_id)
        if run is not None:
            run.status, run.finished_at, run.summary = status, utcnow(), self.summary.as_dict()
            self.summary.run_id = str(run.public_id)


@contextmanager
def _savepoint(session: Session) -> Iterator[None]:
    """A savepoint around raw driver writes. SQLAlchemy emits SAVEPOINT only when the session next uses its
    connection, which raw writes never do, so ask for the connection at once; otherwise a rollback would
    have nothing to roll back to."""
    with session.begin_nested():
        session.connection()
        yield


def _map_again(prepared: Prepared, shaper: Shaper, now: datetime) -> None:
    """Before a retry: the first attempt filled the mapper's rows with keys its rolled-back savepoint gave."""
    if prepared.mapped is not None:
        resource = orjson.loads(prepared.text)
        prepared.mapped = shaper.shape(map_resource(prepared.rtype, resource, Context({}, now), Notes()))
    prepared.existing, prepared.domain_id, prepared.patient_id, prepared.version_id = None, None, None, 1


def _type_of(entry: Entry) -> str:
    return entry.resource_type or UNREADABLE


def _describe(target: Ref) -> str:
    if target.id is not None:
        return f"{target.type}/{target.id}"
    if target.identifier is not None:
        return f"{target.type or '?'}?identifier={target.identifier}"
    return target.raw or "?"


def _db_message(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
