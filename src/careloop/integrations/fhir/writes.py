"""Writing a batch: careloop's domain rows (parents before children, new versions replacing the rows of old
ones) and the store rows (resource, version JSON, token and reference index), each table in one bulk call."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from careloop.integrations.fhir.mappers import TABLES
from careloop.integrations.fhir.prepare import Prepared
from careloop.integrations.fhir.store import TableSpec, Writer
from careloop.integrations.fhir.targets import Targets
from careloop.models import Base

# Rows of these tables are the one-to-one rows of a resource: keys are handed out up front, because other
# rows refer to them in the same batch. The database numbers everything else.
PRIMARY_TABLES = frozenset(TABLES[t] for t in TABLES if t not in ("Observation", "CareTeam"))
# Children of a primary row, replaced with it (identifiers only grow: careloop may have added its own, and
# an identifier once seen keeps matching the patient).
CHILDREN = {"care_plans": (("care_plan_activities", "care_plan_id"), ("care_plan_conditions", "care_plan_id"),
                           ("care_plan_goals", "care_plan_id")),
            "goals": (("goal_targets", "goal_id"),)}
IGNORE_CONFLICTS = {"patient_identifiers": ("system", "value")}
# Parents first, so one bulk insert per table never trips a foreign key.
TABLE_ORDER = {table.name: index for index, table in enumerate(Base.metadata.sorted_tables)}

RESOURCE_COLUMNS = ("id", "source", "resource_type", "source_id", "logical_id", "version_id", "last_updated",
                    "content_hash", "status", "date_start", "date_end", "patient_id", "domain_id", "map_status")
VERSION_COLUMNS = ("resource_id", "version_id", "last_updated", "content_hash", "import_run_id", "origin",
                   "resource_json")
TOKEN_COLUMNS = ("resource_id", "param", "system", "code", "resource_type")
REFERENCE_COLUMNS = ("resource_id", "seq", "path", "target_type", "target_id", "target_identifier", "reference",
                     "target_resource_id")


@dataclass(slots=True)
class DomainRow:
    table: str
    values: dict[str, Any]
    columns: tuple[str, ...]  # the ones the mapper set
    prepared: Prepared
    update: bool  # the row the resource already has: updated in place


def write_domain(writer: Writer, rows: list[DomainRow], now: datetime) -> None:
    replaced_many: dict[str, list[int]] = {}
    updated: list[DomainRow] = []
    by_table: dict[str, list[DomainRow]] = {}
    for row in rows:
        prepared = row.prepared
        mapped = prepared.mapped
        if row.update:
            updated.append(row)
        else:
            by_table.setdefault(row.table, []).append(row)
        if prepared.existing is not None and mapped is not None and not mapped.one_to_one:
            replaced_many.setdefault(row.table, []).append(prepared.resource_id)
    for table, resource_ids in replaced_many.items():
        writer.delete(table, "fhir_resource_id", sorted(set(resource_ids)))
    _update(writer, updated, now)
    for parent, children in CHILDREN.items():
        parents = [r.prepared.domain_id for r in updated if r.table == parent and r.prepared.domain_id is not None]
        for child, column in children:
            writer.delete(child, column, parents)
    for table in sorted(by_table, key=TABLE_ORDER.__getitem__):
        _insert(writer, table, by_table[table])


def _update(writer: Writer, rows: list[DomainRow], now: datetime) -> None:
    """UPDATE the columns the mapper set (so what careloop added itself, a patient's contact preferences,
    stays), plus updated_at and the provenance pointer."""
    groups: dict[tuple[str, tuple[str, ...]], list[list[Any]]] = {}
    for row in rows:
        spec = writer.spec(row.table)
        columns = row.columns
        if "updated_at" in spec.columns:
            columns = (*columns, "updated_at")
            row.values["updated_at"] = writer.timestamp(now)
        if "fhir_resource_id" in spec.columns and "fhir_resource_id" not in columns:
            columns = (*columns, "fhir_resource_id")
        row.values["fhir_resource_id"] = row.prepared.resource_id
        groups.setdefault((row.table, columns), []).append(
            [*(row.values[c] for c in columns), row.prepared.domain_id])
    for (table, columns), params in groups.items():
        writer.update(table, columns, params)


def _insert(writer: Writer, table: str, rows: list[DomainRow]) -> None:
    """The rows were completed when they were prepared (prepare.Shaper); only keys are added here."""
    full = writer.spec(table)
    keyed = table in PRIMARY_TABLES or full.without_id is None
    spec: TableSpec = full if keyed or full.without_id is None else full.without_id
    provenance = "fhir_resource_id" in spec.columns
    pick = itemgetter(*spec.columns)
    params = []
    for row in rows:
        values = row.values
        if keyed and spec.has_id:
            values["id"] = row.prepared.domain_id
        if provenance:
            values["fhir_resource_id"] = row.prepared.resource_id
        params.append(pick(values))
    conflict = IGNORE_CONFLICTS.get(table)
    if conflict:
        writer.insert_ignoring(table, spec.columns, params, conflict)
    else:
        writer.insert(table, spec.columns, params)


def write_store(writer: Writer, writes: list[Prepared], *, source: str, run_id: int, now: datetime,
                targets: Targets) -> None:
    stamp = writer.timestamp(now)
    ts = writer.timestamp
    created = [p for p in writes if p.existing is None]
    updated = [p for p in writes if p.existing is not None]
    writer.insert("fhir_resources", RESOURCE_COLUMNS, [
        (p.resource_id, source, p.rtype, p.source_id, p.logical_id, 1, stamp, p.digest, p.status,
         ts(p.date_start), ts(p.date_end), p.patient_id, p.domain_id, p.map_status) for p in created])
    writer.update("fhir_resources", RESOURCE_COLUMNS[5:], [
        [p.version_id, stamp, p.digest, p.status, ts(p.date_start), ts(p.date_end), p.patient_id, p.domain_id,
         p.map_status, p.resource_id] for p in updated])
    writer.insert("fhir_resource_versions", VERSION_COLUMNS, [
        (p.resource_id, p.version_id, stamp, p.digest, run_id, p.entry.location[-500:], p.text) for p in writes])
    if updated:
        ids = [p.resource_id for p in updated]
        writer.delete("fhir_tokens", "resource_id", ids)
        writer.delete("fhir_references", "resource_id", ids)
    writer.insert("fhir_tokens", TOKEN_COLUMNS, [
        (p.resource_id, param, system, code, p.rtype) for p in writes for param, system, code in p.tokens])
    writer.insert("fhir_references", REFERENCE_COLUMNS, list(_references(writes, targets)))


def _references(writes: Iterable[Prepared], targets: Targets) -> Iterable[tuple[Any, ...]]:
    get = targets.get
    for p in writes:
        resource_id = p.resource_id
        for (_, ref), row in zip(p.found, p.reference_rows, strict=True):
            target = get(ref)
            yield (resource_id, *row, target.resource_id if target is not None else None)


def write_remap(writer: Writer, writes: Sequence[Prepared]) -> None:
    """After mapping stored resources again: only their compartment, domain row and state change."""
    writer.update("fhir_resources", ("patient_id", "domain_id", "map_status"), [
        [p.patient_id, p.domain_id, p.map_status, p.resource_id] for p in writes])
