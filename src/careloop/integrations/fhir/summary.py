"""What an import did, per resource type, and what it could not do, with reasons a person can act on."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

UNREADABLE = "(unreadable)"  # the type of an entry that is not a JSON object with a resourceType
KEEP_REJECTIONS = 1000  # kept verbatim; beyond that only counted (a broken feed must not exhaust memory)
KEEP_SAMPLES = 5


@dataclass(slots=True)
class TypeCounts:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


@dataclass(frozen=True, slots=True)
class Rejection:
    location: str  # file:line or file#entry[n]
    resource_type: str
    reason: str


@dataclass(slots=True)
class ImportSummary:
    source: str
    counts: dict[str, TypeCounts] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    rejected_total: int = 0
    # Stored, but not mapped into careloop's tables: (type, reason) -> count
    unmapped: Counter[tuple[str, str]] = field(default_factory=Counter)
    # Types careloop does not model: kept in the FHIR store and counted, never dropped
    stored_only: Counter[str] = field(default_factory=Counter)
    # SNOMED CT condition codes with no ICD-10-CM in the map: (code, display) -> count
    unmapped_snomed: Counter[tuple[str, str]] = field(default_factory=Counter)
    # References that did not resolve by the end of the run: (path, target type) -> count, and a few samples
    unresolved: Counter[tuple[str, str]] = field(default_factory=Counter)
    unresolved_samples: list[str] = field(default_factory=list)
    skipped_files: list[tuple[str, str]] = field(default_factory=list)
    patients_touched: int = 0
    seconds: float = 0.0
    run_id: str | None = None

    def of(self, resource_type: str) -> TypeCounts:
        counts = self.counts.get(resource_type)
        if counts is None:
            counts = self.counts[resource_type] = TypeCounts()
        return counts

    def reject(self, location: str, resource_type: str, reason: str) -> None:
        self.of(resource_type).rejected += 1
        self.rejected_total += 1
        if len(self.rejections) < KEEP_REJECTIONS:
            self.rejections.append(Rejection(location, resource_type, reason))

    def unresolved_reference(self, path: str, target_type: str | None, sample: str) -> None:
        self.unresolved[(path, target_type or "?")] += 1
        if len(self.unresolved_samples) < KEEP_SAMPLES:
            self.unresolved_samples.append(sample)

    @property
    def totals(self) -> TypeCounts:
        total = TypeCounts()
        for counts in self.counts.values():
            total.read += counts.read
            total.created += counts.created
            total.updated += counts.updated
            total.unchanged += counts.unchanged
            total.rejected += counts.rejected
        return total

    @property
    def rate(self) -> float:
        """Resources read per second of the whole run."""
        return self.totals.read / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        """For fhir_import_runs.summary: counts and reasons, without the long lists."""
        return {
            "counts": {name: {"read": c.read, "created": c.created, "updated": c.updated,
                              "unchanged": c.unchanged, "rejected": c.rejected}
                       for name, c in sorted(self.counts.items())},
            "rejected": self.rejected_total,
            "unmapped": [[t, reason, n] for (t, reason), n in self.unmapped.most_common()],
            "stored_only": dict(self.stored_only),
            "unmapped_snomed": [[code, display, n] for (code, display), n in self.unmapped_snomed.most_common()],
            "unresolved": [[path, target, n] for (path, target), n in self.unresolved.most_common()],
            "patients_touched": self.patients_touched,
            "seconds": round(self.seconds, 3),
        }
