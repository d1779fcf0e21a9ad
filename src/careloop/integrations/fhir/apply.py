"""Applying one batch of prepared resources, inside the caller's savepoint: find what already exists (one
query per type), tell created from updated from unchanged, hand out keys, resolve links, write in bulk,
and audit the patients touched."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from careloop import audit
from careloop.access import Actor
from careloop.integrations.fhir import links, structure, writes
from careloop.integrations.fhir.links import NAMED, WAIT
from careloop.integrations.fhir.prepare import Existing, Prepared
from careloop.integrations.fhir.store import Writer
from careloop.integrations.fhir.summary import ImportSummary
from careloop.integrations.fhir.targets import Target, Targets, derived_id
from careloop.models import MapStatus

# MapStatus values as plain strings: the enum's attribute lookup is measurable at a million resources.
MAPPED, STORED, UNMAPPED, WAITING = (MapStatus.mapped.value, MapStatus.stored.value, MapStatus.unmapped.value,
                                     MapStatus.waiting.value)
# The references that put a resource careloop does not model into a patient's compartment.
COMPARTMENT_PATHS = ("patient", "subject", "beneficiary")
_EXISTING = ("SELECT id, source, source_id, logical_id, version_id, content_hash, domain_id "
             "FROM fhir_resources WHERE ")


class Applier:
    def __init__(self, session: Session, writer: Writer, targets: Targets, *, source: str, run_id: int,
                 actor: Actor, summary: ImportSummary) -> None:
        self.session = session
        self.writer = writer
        self.targets = targets
        self.source = source
        self.run_id = run_id
        self.actor = actor
        self.summary = summary
        self.audited: set[int] = set()
        self._batch_audited: set[int] = set()

    def apply(self, batch: list[Prepared], *, final: bool = False, remap: bool = False) -> None:
        """Write `batch`. `remap`: stored resources mapped again at the end of the run (no new version);
        `final`: the run has been read, so references unresolved now stay unresolved."""
        if remap:
            todo = batch
        else:
            self._find_existing(batch)
            todo = [p for p in batch if p.is_new_version]
            self._keep_stale_replays(todo)
            todo = [p for p in todo if p.is_new_version]
        if not todo:
            return
        for prepared in todo:
            prepared.complete()  # only what becomes a new version is mapped and indexed
        todo.sort(key=lambda p: structure.type_rank(p.rtype))
        self._assign_keys(todo)
        self.targets.prefetch(key for p in todo for key in p.needed)
        now = self.writer.now
        rows: list[writes.DomainRow] = []
        names: list[tuple[str, Target]] = []
        pending: list[links.Name] = []
        for prepared in todo:
            pending.extend(self._resolve(prepared, final, rows, names))
        self.targets.fill_names(names)
        for name in pending:
            name.fill()
        writes.write_domain(self.writer, rows, now)
        if remap:
            writes.write_remap(self.writer, todo)
        else:
            writes.write_store(self.writer, todo, source=self.source, run_id=self.run_id, now=now,
                               targets=self.targets)
        self._audit(todo)

    def _find_existing(self, batch: list[Prepared]) -> None:
        """One query per type by logical id (which also shows the ids another source holds), and one for the
        few resources of this source whose logical id had to be derived."""
        by_type: dict[str, list[Prepared]] = {}
        for prepared in batch:
            by_type.setdefault(prepared.rtype, []).append(prepared)
        for rtype, group in by_type.items():
            ids = [p.source_id for p in group]
            ours: dict[str, tuple[Any, ...]] = {}
            taken: set[str] = set()
            for row in self.writer.select_in(_EXISTING + "resource_type = ? AND", "logical_id", ids, (rtype,)):
                if row[1] == self.source and row[2] == row[3]:
                    ours[row[2]] = row
                else:
                    taken.add(row[3])
            rest = [i for i in ids if i not in ours]
            if rest:
                for row in self.writer.select_in(
                        _EXISTING + "source = ? AND resource_type = ? AND logical_id <> source_id AND",
                        "source_id", rest, (self.source, rtype)):
                    ours[row[2]] = row
            for prepared in group:
                found = ours.get(prepared.source_id)
                if found is None:
                    prepared.existing, prepared.version_id = None, 1
                    prepared.logical_id = (prepared.source_id if prepared.source_id not in taken
                                           else derived_id(self.source, rtype, prepared.source_id))
                    continue
                existing = Existing(found[0], found[3], found[4], bytes(found[5]), found[6])
                prepared.existing, prepared.resource_id, prepared.logical_id = existing, found[0], found[3]
                same = existing.content_hash == prepared.digest
                prepared.version_id = existing.version_id if same else existing.version_id + 1

    def _keep_stale_replays(self, changed: list[Prepared]) -> None:
        """Content careloop already held in an earlier version is a replay of old data (the same files read
        again; a provider bundle and a patient bundle carrying copies of one Organization), not news: it
        stays unchanged rather than flip the current version back and forth on every import."""
        known = [p for p in changed if p.existing is not None]
        if not known:
            return
        rows = self.writer.select_in("SELECT resource_id, content_hash FROM fhir_resource_versions WHERE",
                                     "resource_id", [p.resource_id for p in known])
        seen = {(row[0], bytes(row[1])) for row in rows}
        for prepared in known:
            if (prepared.resource_id, prepared.digest) in seen and prepared.existing is not None:
                prepared.version_id = prepared.existing.version_id

    def _assign_keys(self, todo: list[Prepared]) -> None:
        new = [p for p in todo if p.existing is None]
        for prepared, key in zip(new, self.writer.ids("fhir_resources", len(new)), strict=True):
            prepared.resource_id = key
        by_table: dict[str, list[Prepared]] = {}
        for prepared in todo:
            mapped = prepared.mapped
            if mapped is None or not mapped.one_to_one or not mapped.rows or mapped.unmapped is not None:
                continue
            if prepared.existing is not None and prepared.existing.domain_id is not None:
                prepared.domain_id = prepared.existing.domain_id
            else:
                by_table.setdefault(mapped.rows[0].table, []).append(prepared)
        for table, group in by_table.items():
            for prepared, key in zip(group, self.writer.ids(table, len(group)), strict=True):
                prepared.domain_id = key

    def _resolve(self, prepared: Prepared, final: bool, rows: list[writes.DomainRow],
                 names: list[tuple[str, Target]]) -> list[links.Name]:
        """Fill the resource's rows, or decide it waits or cannot be mapped; then make it a target for the
        rest of the batch. Returns the names still to fill."""
        mapped = prepared.mapped
        kept = prepared.existing.domain_id if prepared.existing is not None else None
        pending: list[links.Name] = []
        if mapped is None:
            prepared.map_status, prepared.domain_id = STORED, None
        elif mapped.unmapped is not None:
            prepared.map_status, prepared.domain_id = UNMAPPED, kept
        else:
            outcome = links.fill(mapped, prepared.domain_id, self.targets, final, names)
            if outcome == WAIT:
                prepared.map_status, prepared.domain_id = WAITING, kept
            elif isinstance(outcome, str):
                prepared.map_status, prepared.domain_id = UNMAPPED, kept
                self.summary.unmapped[(prepared.rtype, outcome)] += 1
            else:
                filled, pending = outcome
                prepared.map_status = MAPPED
                if not mapped.one_to_one:
                    prepared.domain_id = None
                update_first = mapped.one_to_one and kept is not None and prepared.domain_id == kept
                first = mapped.rows[0] if mapped.one_to_one else None
                for row in filled:
                    rows.append(writes.DomainRow(row.table, row.values, row.columns, prepared,
                                                 update_first and row is first))
        prepared.patient_id = self._compartment(prepared)
        self._remember(prepared)
        return pending

    def _compartment(self, prepared: Prepared) -> int | None:
        if prepared.rtype == "Patient":
            return prepared.domain_id if prepared.map_status == MAPPED else None
        mapped = prepared.mapped
        ref = mapped.patient if mapped is not None else None
        if ref is None:
            ref = next((r for path, r in prepared.found if path in COMPARTMENT_PATHS and r.type == "Patient"), None)
        target = self.targets.get(ref) if ref is not None else None
        return target.domain_id if target is not None else None

    def _remember(self, prepared: Prepared) -> None:
        mapped = prepared.mapped
        one_row = mapped is not None and mapped.one_to_one and prepared.map_status == MAPPED
        target = Target(prepared.resource_id, prepared.domain_id if one_row else None, prepared.patient_id)
        if one_row and prepared.rtype in NAMED and mapped is not None:
            name = mapped.rows[0].values.get("name")
            target.name = name if isinstance(name, str) else None
        self.targets.add(("id", prepared.rtype, prepared.source_id), target)
        for param, system, code in prepared.tokens:
            if param == "identifier":
                self.targets.add(("identifier", prepared.rtype, f"{system}|{code}"), target)

    def _audit(self, todo: list[Prepared]) -> None:
        """One audit record per patient a run touches (not per resource)."""
        touched = {p.patient_id for p in todo if p.patient_id is not None} - self.audited - self._batch_audited
        if touched:
            audit.record_list(self.session, self.actor, "fhir.import", sorted(touched))
            self._batch_audited |= touched

    def keep_batch(self) -> None:
        """The batch's savepoint was released: what it learnt holds for the rest of the run."""
        self.targets.keep_batch()
        self.audited |= self._batch_audited
        self._batch_audited.clear()
        self.summary.patients_touched = len(self.audited)

    def drop_batch(self) -> None:
        """The batch's savepoint was rolled back, and with it what the batch wrote and audited."""
        self.targets.drop_batch()
        self._batch_audited.clear()

