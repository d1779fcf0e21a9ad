"""Where references lead: for a reference of the source being imported, the stored resource it names, the
careloop row that resource maps to, and the patient it belongs to. Looked up per batch (one query per
resource type), remembered for the rest of the run, never guessed: an identifier two resources share
resolves to neither."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from careloop.integrations.fhir.references import Key, Ref
from careloop.integrations.fhir.store import Writer

# Derived logical ids (see models/fhir.py) live in this namespace.
NAMESPACE = uuid.UUID("6f1c52b4-3c0e-4f53-9a4e-6a1b0c9d2e17")
CACHE_LIMIT = 500_000  # entries; a run over millions of resources starts afresh rather than grow without end
SELECT = "SELECT id, source, source_id, logical_id, domain_id, patient_id FROM fhir_resources WHERE "


def derived_id(source: str, resource_type: str, source_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{source}|{resource_type}|{source_id}"))


@dataclass(slots=True)
class Target:
    resource_id: int
    domain_id: int | None  # the careloop row of a one-to-one mapping, if it has one now
    patient_id: int | None  # the compartment
    name: str | None = None  # of its careloop row, for columns that show it (an encounter's facility)


class Targets:
    def __init__(self, writer: Writer, source: str) -> None:
        self._writer = writer
        self._source = source
        self._cache: dict[Key, Target] = {}
        self._batch: dict[Key, Target] = {}

    def get(self, ref: Ref) -> Target | None:
        key = ref.key
        if key is None:
            return None
        found = self._batch.get(key)
        return found if found is not None else self._cache.get(key)

    def add(self, key: Key, target: Target) -> None:
        """A resource written in the batch under way: visible at once, kept if the batch commits."""
        self._batch[key] = target

    def keep_batch(self) -> None:
        if len(self._cache) + len(self._batch) > CACHE_LIMIT:
            self._cache.clear()
        self._cache.update(self._batch)
        self._batch.clear()

    def drop_batch(self) -> None:
        self._batch.clear()

    def prefetch(self, keys: Iterable[Key]) -> None:
        """Look up, in one query per type, every target not known yet."""
        by_id: dict[str, set[str]] = {}
        by_identifier: dict[str, set[str]] = {}
        batch, cache = self._batch, self._cache
        for key in keys:
            if key in batch or key in cache:
                continue
            (by_id if key[0] == "id" else by_identifier).setdefault(key[1], set()).add(key[2])
        for resource_type, ids in by_id.items():
            for row in find_by_source_ids(self._writer, self._source, resource_type, sorted(ids)):
                cache[("id", resource_type, row[2])] = Target(row[0], row[4], row[5])
        for resource_type, identifiers in by_identifier.items():
            self._fetch_identifiers(resource_type, sorted(identifiers))

    def _fetch_identifiers(self, resource_type: str, identifiers: list[str]) -> None:
        wanted: dict[tuple[str, str], str] = {}
        for identifier in identifiers:
            system, _, value = identifier.partition("|")
            wanted[(system, value)] = identifier
        rows = self._writer.select_in(
            "SELECT t.system, t.code, r.id, r.domain_id, r.patient_id FROM fhir_tokens t "
            "JOIN fhir_resources r ON r.id = t.resource_id "
            "WHERE t.resource_type = ? AND t.param = 'identifier' AND r.source = ? AND",
            "t.code", sorted({value for _, value in wanted}), (resource_type, self._source))
        found: dict[str, list[Target]] = {}
        for system, value, resource_id, domain_id, patient_id in rows:
            match = wanted.get((system, value))
            if match is not None:
                found.setdefault(match, []).append(Target(resource_id, domain_id, patient_id))
        for identifier, targets in found.items():
            if len({t.resource_id for t in targets}) == 1:  # shared by two resources: ambiguous, unresolved
                self._cache[("identifier", resource_type, identifier)] = targets[0]

    def fill_names(self, wanted: list[tuple[str, Target]]) -> None:
        """Names of the careloop rows of these targets (table, target), one query per table."""
        by_table: dict[str, list[Target]] = {}
        for table, target in wanted:
            if target.name is None and target.domain_id is not None:
                by_table.setdefault(table, []).append(target)
        for table, targets in by_table.items():
            ids = sorted({t.domain_id for t in targets if t.domain_id is not None})
            names = dict(self._writer.select_in(f"SELECT id, name FROM {table} WHERE", "id", ids))  # noqa: S608
            for target in targets:
                target.name = names.get(target.domain_id)


def find_by_source_ids(writer: Writer, source: str, resource_type: str, ids: list[str],
                       select: str = SELECT) -> list[tuple[Any, ...]]:
    """Rows (id, source, source_id, logical_id, ...as selected) of this source's resources with these source
    ids: by logical id (the index every resource is in), then the few whose logical id was derived."""
    found: dict[str, tuple[Any, ...]] = {}
    for row in writer.select_in(select + "resource_type = ? AND", "logical_id", ids, (resource_type,)):
        if row[1] == source and row[2] == row[3]:
            found[str(row[2])] = row
    rest = [i for i in ids if i not in found]
    if rest:
        rows = writer.select_in(select + "source = ? AND resource_type = ? AND logical_id <> source_id AND",
                                "source_id", rest, (source, resource_type))
        for row in rows:
            found[str(row[2])] = row
    return list(found.values())
