"""Writing resources that arrive one request at a time (the /fhir/R4 create, update and transaction
interactions) through the importer's own units, inside the caller's session and transaction: the same
structural check, store rows (versions, tokens, references) and mapping into careloop's tables as
`careloop import`, never a second mapping.

What differs from a file import, and why:
- References name resources by their logical id (what the API serves), whatever source stored them, so
  they are looked up by logical id (`LogicalTargets`) instead of within one source.
- Content equal to an older version is the client's intent (putting back what was there), so it becomes a
  new version; an import treats it as a replay of old files (`Applier._keep_stale_replays`).
- Nothing arrives later to resolve what is missing: the batch is final.
- Observations written are announced (`observation.recorded`), as the plan page and assessments do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from careloop.access import Actor
from careloop.clock import utcnow
from careloop.errors import InvalidInput
from careloop.integrations.fhir.apply import Applier
from careloop.integrations.fhir.mappers import Context
from careloop.integrations.fhir.prepare import Notes, Prepared, Shaper, prepare
from careloop.integrations.fhir.reader import Entry
from careloop.integrations.fhir.references import Key
from careloop.integrations.fhir.store import Writer
from careloop.integrations.fhir.summary import ImportSummary
from careloop.integrations.fhir.targets import SELECT, Target, Targets
from careloop.models import FhirImportRun, Observation
from careloop.worker import emit

API_SOURCE = "fhir-api"  # the source of resources created through the API
OBSERVATION_RECORDED = "observation.recorded"  # the contract with care plans (goal achievement follows the data)


@dataclass(frozen=True, slots=True)
class Incoming:
    """One resource to write. `resource["id"]` is its id within `source` (the stored resource's source id
    for an update; a fresh id for a create)."""

    resource: dict[str, Any]
    source: str
    origin: str  # provenance, e.g. "fhir-api PUT Observation/123"


@dataclass(frozen=True, slots=True)
class Written:
    resource_type: str
    logical_id: str
    resource_id: int
    version_id: int
    created: bool
    changed: bool  # False: the content equals the current version, which stays
    patient_id: int | None  # the compartment
    map_status: str


class LogicalTargets(Targets):
    """References by id are looked up by logical id across sources (the API's namespace); identifier
    references stay within the source, as on import."""

    def prefetch(self, keys: Iterable[Key]) -> None:
        by_id: dict[str, set[str]] = {}
        rest: list[Key] = []
        for key in keys:
            if self.get_key(key) is not None:
                continue
            if key[0] == "id":
                by_id.setdefault(key[1], set()).add(key[2])
            else:
                rest.append(key)
        for resource_type, ids in by_id.items():
            for row in self._writer.select_in(SELECT + "resource_type = ? AND", "logical_id", sorted(ids),
                                              (resource_type,)):
                self._cache[("id", resource_type, row[3])] = Target(row[0], row[4], row[5])
        super().prefetch(rest)

    def get_key(self, key: Key) -> Target | None:
        found = self._batch.get(key)
        return found if found is not None else self._cache.get(key)


class _ApiApplier(Applier):
    def _keep_stale_replays(self, changed: list[Prepared]) -> None:
        """An API write that restores older content is a new version (see the module docstring)."""


def ingest(session: Session, actor: Actor, incoming: list[Incoming], *,
           full_urls: dict[str, tuple[str, str]] | None = None, label: str = "") -> list[Written]:
    """Prepare, store and map `incoming` in the session's transaction (the caller owns the commit and any
    savepoint), in order of source. Raises InvalidInput naming the first resource the importer rejects, before
    anything is written. `full_urls` maps a bundle's fullUrls to (type, id), so urn:uuid references between
    entries are rewritten and resolved as on import."""
    urls = full_urls or {}
    now = utcnow()
    writer = Writer(session, now)
    try:
        shaper = Shaper(writer.postgres, now)
        notes = Notes()
        context = Context(urls, now)
        prepared = [_prepared(item, urls, context, notes, shaper) for item in incoming]
        run_id = _run(session, actor, label)
        targets = LogicalTargets(writer, API_SOURCE)
        summary = ImportSummary(source=API_SOURCE)
        for source in dict.fromkeys(item.source for item in incoming):
            batch = [p for p, item in zip(prepared, incoming, strict=True) if item.source == source]
            _ApiApplier(session, writer, targets, source=source, run_id=run_id, actor=actor,
                        summary=summary).apply(batch, final=True)
            targets.keep_batch()
        written = [_written(p) for p in prepared]
    finally:
        writer.close()
    _announce_observations(session, written)
    return written


def _announce_observations(session: Session, written: list[Written]) -> None:
    """Observations written through the API are announced as every other writer of observations does
    (observation.recorded, one event per patient, in this transaction), so a care plan's goals follow them at once.
    The file import does not come through here: its hot path stays free of per-resource events (care plans catch
    up nightly)."""
    resource_ids = sorted({w.resource_id for w in written if w.resource_type == "Observation" and w.changed})
    if not resource_ids:
        return
    rows = session.execute(select(Observation.patient_id, Observation.id, Observation.code)
                           .where(Observation.fhir_resource_id.in_(resource_ids)).order_by(Observation.id)).all()
    by_patient: dict[int, list[tuple[int, str]]] = {}
    for patient_id, observation_id, code in rows:
        by_patient.setdefault(patient_id, []).append((observation_id, code))
    for patient_id, found in by_patient.items():
        emit(session, OBSERVATION_RECORDED, {"patient_id": patient_id, "observation_ids": [i for i, _ in found],
                                             "codes": sorted({code for _, code in found})})


def _prepared(item: Incoming, urls: dict[str, tuple[str, str]], context: Context, notes: Notes,
              shaper: Shaper) -> Prepared:
    result = prepare(Entry(item.origin, item.resource), urls, context, notes, shaper)
    if isinstance(result, str):
        raise InvalidInput(f"{item.origin}: {result}")
    return result


def _run(session: Session, actor: Actor, label: str) -> int:
    """The write recorded as a finished run, so every version it stores names who wrote it (provenance)."""
    now = utcnow()
    run = FhirImportRun(source=API_SOURCE, actor_username=actor.username, started_at=now, finished_at=now,
                        status="finished", summary={"api": label} if label else None)
    session.add(run)
    session.flush()
    return run.id


def _written(p: Prepared) -> Written:
    created = p.existing is None
    return Written(p.rtype, p.logical_id, p.resource_id, p.version_id, created, p.is_new_version, p.patient_id,
                   p.map_status)
