"""Preparing one resource for the store, without the database, in two steps:

1. `prepare`: the structural check, its identity (source id) and the content hash: all the run needs to
   tell created from updated from unchanged (one lookup per batch, apply.py).
2. `Prepared.complete`: the JSON to keep, its references and search fields, and the rows a mapper makes of
   it; only for resources that become a new version. Importing the same files again (the usual case for a
   nightly feed) then costs a parse and a hash per resource, not a mapping.

Both are pure functions of the resource."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson

from careloop.integrations.fhir import references, search_index, structure
from careloop.integrations.fhir.links import placeholders
from careloop.integrations.fhir.mappers import MAPPERS, Context, Link, Mapped, NameOf
from careloop.integrations.fhir.reader import Entry
from careloop.integrations.fhir.references import Found, Key
from careloop.integrations.fhir.store import TableSpec, now_default, sqlite_timestamp
from careloop.integrations.fhir.targets import derived_id
from careloop.models import Base


@dataclass(slots=True)
class Existing:
    """The stored state of a resource the batch brings again."""

    resource_id: int
    logical_id: str
    version_id: int
    content_hash: bytes
    domain_id: int | None


@dataclass(slots=True)
class Prepared:
    entry: Entry
    rtype: str
    source_id: str
    text: str  # the JSON stored for this version
    digest: bytes
    found: list[Found]
    tokens: set[search_index.Token]
    status: str | None
    date_start: datetime | None
    date_end: datetime | None
    mapped: Mapped | None  # None: a type careloop does not model
    needed: set[Key]  # the targets its references and links name
    reference_rows: list[tuple[Any, ...]]  # fhir_references rows without resource_id and target
    # Set while the batch is applied:
    existing: Existing | None = None
    resource_id: int = 0
    logical_id: str = ""
    version_id: int = 1
    domain_id: int | None = None
    patient_id: int | None = None
    map_status: str = "stored"
    named: list[Any] = field(default_factory=list)  # rows' name placeholders, filled after the batch's lookup
    # What step 2 needs, until it has run (None: complete).
    pending: Pending | None = None

    @property
    def is_new_version(self) -> bool:
        return self.existing is None or self.version_id > self.existing.version_id

    def complete(self) -> None:
        """Step 2 (module docstring): the JSON to keep, references, search fields and the mapper's rows."""
        pending = self.pending
        if pending is None:
            return
        self.pending = None
        resource, full_urls, context = self.entry.resource, pending.full_urls, pending.context
        assert resource is not None  # only readable resources are prepared
        raw = self.entry.raw
        if raw is not None and (not full_urls or b'"urn:' not in raw):
            self.text = raw.decode()  # an NDJSON line is kept exactly as it came
        else:
            self.text = references.rewrite_bundle_references(orjson.dumps(resource), full_urls).decode()
        rtype = self.rtype
        mapped = map_resource(rtype, resource, context, pending.notes)
        found = references.find(resource, full_urls)
        self.found, self.reference_rows = found, reference_rows(found)
        self.date_start, self.date_end = search_index.date_span(resource, rtype)
        self.tokens = search_index.tokens(resource, rtype)
        self.status = search_index.status(resource, rtype)
        self.mapped = pending.shaper.shape(mapped)
        self.needed = needed_keys(found, mapped)


@dataclass(frozen=True, slots=True)
class Pending:
    full_urls: dict[str, tuple[str, str]]
    context: Context
    notes: Notes
    shaper: Shaper


@dataclass(slots=True)
class Notes:
    """What preparing noticed, for the summary (kept apart: it may be counted in another process)."""

    stored_only: Counter[str] = field(default_factory=Counter)
    unmapped: Counter[tuple[str, str]] = field(default_factory=Counter)
    unmapped_snomed: Counter[tuple[str, str]] = field(default_factory=Counter)


def prepare(entry: Entry, full_urls: dict[str, tuple[str, str]], context: Context, notes: Notes,
            shaper: Shaper) -> Prepared | str:
    """Step 1 (module docstring): the resource's identity and content hash, or why it is rejected. Every
    reason to reject is found here, so a transaction bundle is judged whole before anything is applied."""
    resource = entry.resource
    if resource is None:
        return entry.error or "unreadable"
    problem = structure.problem(resource)
    if problem is not None:
        return problem
    rtype: str = resource["resourceType"]
    source_id = resource.get("id") or id_from_identifier(resource)
    if source_id is None:
        return "no id, and no identifier or urn:uuid fullUrl to recognise it by on the next import"
    if rtype not in MAPPERS:
        notes.stored_only[rtype] += 1  # counted whether or not the content changed: kept, never dropped
    return Prepared(entry, rtype, source_id, "", content_hash(resource, full_urls), [], set(), None, None, None,
                    None, set(), [], pending=Pending(full_urls, context, notes, shaper))


def reference_rows(found: list[Found]) -> list[tuple[Any, ...]]:
    """(seq, path, target_type, target_id, target_identifier, reference) of each reference, cut to fit."""
    return [(seq, path[:64], ref.type, ref.id, ref.identifier[:300] if ref.identifier is not None else None,
             ref.raw[:500] if ref.raw is not None else None) for seq, (path, ref) in enumerate(found)]


def needed_keys(found: list[Found], mapped: Mapped | None) -> set[Key]:
    needed = {target.key for _, target in found if target.key is not None}
    if mapped is not None:
        for row in mapped.rows:
            for value in row.values.values():
                kind = type(value)
                if (kind is Link or kind is NameOf) and value.ref is not None and value.ref.key is not None:
                    needed.add(value.ref.key)
    return needed


class Shaper:
    """Completes mapped rows for a bulk INSERT on the backend in use (defaults, keys made per row, dates and
    times in the stored form), here rather than in the writing process, which is the one the run waits on."""

    def __init__(self, postgres: bool, now: datetime) -> None:
        self._postgres = postgres
        self._now = now
        self._specs: dict[str, TableSpec] = {}

    def shape(self, mapped: Mapped | None) -> Mapped | None:
        if mapped is None or mapped.unmapped is not None:
            return mapped
        for row in mapped.rows:
            spec = self._specs.get(row.table)
            if spec is None:
                spec = self._specs[row.table] = TableSpec.of(Base.metadata.tables[row.table])
            given = row.values
            row.columns = tuple(given)
            row.placeholders = placeholders(given)
            values = {**spec.constants, **given}
            for name, factory in spec.factories:
                if name not in given:
                    values[name] = self._now if factory is now_default else factory()
            if not self._postgres:
                for position in spec.timestamps:
                    name = spec.columns[position]
                    value = values[name]
                    if type(value) is datetime:
                        values[name] = sqlite_timestamp(value)
                for position in spec.dates:
                    name = spec.columns[position]
                    value = values[name]
                    if type(value) is date:
                        values[name] = value.isoformat()
            row.values = values
        return mapped


def map_resource(rtype: str, resource: dict[str, Any], context: Context, notes: Notes) -> Mapped | None:
    mapper = MAPPERS.get(rtype)
    if mapper is None:
        return None  # a type careloop does not model; `prepare` counted it
    try:
        mapped = mapper(resource, context)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        # A shape the mapper did not expect: the resource is kept all the same, and the summary says so.
        mapped = Mapped(unmapped=f"could not be read for mapping ({type(exc).__name__}: {exc})")
    if mapped.unmapped is not None:
        notes.unmapped[(rtype, mapped.unmapped)] += 1
    if mapped.unmapped_snomed is not None:
        notes.unmapped_snomed[mapped.unmapped_snomed] += 1
    return mapped


def id_from_identifier(resource: dict[str, Any]) -> str | None:
    """A resource without an id is recognised by its first business identifier (system|value)."""
    identifiers = resource.get("identifier")
    first = identifiers[0] if type(identifiers) is list and identifiers else identifiers
    if type(first) is dict and type(first.get("value")) is str and type(first.get("system")) is str:
        return derived_id("identifier", str(resource.get("resourceType")), f"{first['system']}|{first['value']}")
    return None


def content_hash(resource: dict[str, Any], full_urls: dict[str, tuple[str, str]]) -> bytes:
    """What tells an unchanged resource from a new version: its content with keys sorted (so formatting and
    key order do not count), bundle references rewritten as stored, and without meta.versionId and
    meta.lastUpdated, which a source changes on every export whether or not anything else did."""
    meta = resource.get("meta")
    if type(meta) is dict and ("versionId" in meta or "lastUpdated" in meta):
        resource = {**resource, "meta": {k: v for k, v in meta.items() if k not in ("versionId", "lastUpdated")}}
    canonical = orjson.dumps(resource, option=orjson.OPT_SORT_KEYS)
    if full_urls:
        canonical = references.rewrite_bundle_references(canonical, full_urls)
    return hashlib.blake2b(canonical, digest_size=16).digest()
