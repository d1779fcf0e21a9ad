"""The FHIR resource store: every resource careloop has taken in, as it came, with its versions and the search
index the /fhir/R4 API reads.

- `FhirResource` is the current state of one resource (no JSON): identity, version, compartment (the careloop
  patient it belongs to), the domain row it maps to, and the single-valued search fields (status, date range).
- `FhirResourceVersion` keeps the JSON of every version, append-only, for vread, _history and provenance.
- `FhirToken` and `FhirReference` are the token and reference search indexes of the current version.

Identity: a resource is one (source, resource type, source id), where the source is the system it came from
(a feed, an EHR, a Synthea export). The API serves it under `logical_id`, unique per type: the source id when
no other source holds that id for that type, else a UUID derived from (source, type, source id). Both
candidates are computed, never looked up, so the identity lookup needs only the (type, logical id) index.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from careloop.models.base import Base, IntPK, PublicId, str_enum


class MapStatus(StrEnum):
    """How far a stored resource made it into careloop's own tables."""

    mapped = "mapped"  # domain row(s) written
    stored = "stored"  # a type careloop does not model: kept and served, not mapped
    unmapped = "unmapped"  # a modelled type, but this resource lacks what the domain row needs
    waiting = "waiting"  # a reference the domain row needs has not resolved yet (retried at the end of a run)


class FhirImportRun(IntPK, PublicId, Base):
    """One `careloop import` (or `import_paths` call): who ran it, for which source, and what it did."""

    __tablename__ = "fhir_import_runs"

    source: Mapped[str] = mapped_column(String(100))
    actor_username: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")  # running, finished, failed
    summary: Mapped[dict[str, Any] | None]


class FhirResource(IntPK, Base):
    __tablename__ = "fhir_resources"
    __table_args__ = (
        UniqueConstraint("resource_type", "logical_id"),
        Index("ix_fhir_resources_patient_id_resource_type", "patient_id", "resource_type"),
        Index("ix_fhir_resources_resource_type_last_updated", "resource_type", "last_updated"),
        # Only the resources waiting for a reference, found again at the end of every import of their source.
        Index("ix_fhir_resources_source_waiting", "source", sqlite_where=text("map_status = 'waiting'"),
              postgresql_where=text("map_status = 'waiting'")),
        # Only the rare resources whose logical id had to be derived (another source held the id), so
        # looking one up by its source id stays an index probe without indexing every row twice.
        Index("ix_fhir_resources_source_resource_type_source_id", "source", "resource_type", "source_id",
              unique=True, sqlite_where=text("logical_id <> source_id"),
              postgresql_where=text("logical_id <> source_id")),
    )

    source: Mapped[str] = mapped_column(String(100))
    resource_type: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(64))
    logical_id: Mapped[str] = mapped_column(String(64))
    version_id: Mapped[int] = mapped_column(Integer)
    last_updated: Mapped[datetime]  # when careloop stored the current version (the API's meta.lastUpdated)
    content_hash: Mapped[bytes] = mapped_column(LargeBinary(16))
    # Single-valued search fields: the resource's status (clinicalStatus for Condition and AllergyIntolerance,
    # lifecycleStatus for Goal) and its `date` search parameter as a range (FHIR R4 search.html#date).
    status: Mapped[str | None] = mapped_column(String(32))
    date_start: Mapped[datetime | None]
    date_end: Mapped[datetime | None]
    # The patient compartment: the careloop patient this resource is about (access checks use it).
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id", ondelete="SET NULL"))
    # The domain row of a one-to-one mapping (patients.id for a Patient, encounters.id for an Encounter...);
    # one-to-many mappings (an Observation panel, a CareTeam) point back with their fhir_resource_id instead.
    domain_id: Mapped[int | None] = mapped_column(BigInteger)
    map_status: Mapped[MapStatus] = mapped_column(str_enum(MapStatus, 16))


class FhirResourceVersion(Base):
    """The JSON of one version, never updated. References to other entries of a bundle (urn:uuid) are stored
    rewritten to Type/id, as a FHIR server does with a transaction (FHIR R4 http.html#trules)."""

    __tablename__ = "fhir_resource_versions"

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("fhir_resources.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    version_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_updated: Mapped[datetime]
    content_hash: Mapped[bytes] = mapped_column(LargeBinary(16))
    # No foreign key (like the domain rows' fhir_resource_id): a provenance pointer, not a dependency.
    import_run_id: Mapped[int | None] = mapped_column(BigInteger)
    origin: Mapped[str | None] = mapped_column(String(500))  # file:line or file#entry, for provenance
    resource_json: Mapped[str] = mapped_column(Text)


class FhirToken(Base):
    """Token search index (FHIR R4 search.html#token): identifier, code, category, type... as system|code.
    `system` is '' when the source gave none.

    Index rows are derived from the current version and rewritten with it by the store code, so they carry
    no foreign keys: on a bulk import a key check per row (several per resource) would cost more than the
    row itself, and they protect nothing the writer does not already guarantee in the same transaction."""

    __tablename__ = "fhir_tokens"
    __table_args__ = (
        Index("ix_fhir_tokens_resource_type_param_code_system", "resource_type", "param", "code", "system"),
        {"sqlite_with_rowid": False},
    )

    resource_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    param: Mapped[str] = mapped_column(String(32), primary_key=True)
    system: Mapped[str] = mapped_column(String(200), primary_key=True)
    code: Mapped[str] = mapped_column(String(200), primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(64))


class FhirReference(Base):
    """Reference index: each Reference of the current version, by element path (e.g. `subject`,
    `participant.individual`: the FHIRPath of the R4 search parameter without the resource type), with its
    target once resolved. Literal references give target_id; logical ones (Type?identifier=, or an identifier
    only) give target_identifier as system|value. `reference` keeps what could not be parsed (external URLs).
    No foreign keys, as for FhirToken."""

    __tablename__ = "fhir_references"
    __table_args__ = (
        Index("ix_fhir_references_target_resource_id_path", "target_resource_id", "path"),
        {"sqlite_with_rowid": False},
    )

    resource_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    path: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(64))
    target_identifier: Mapped[str | None] = mapped_column(String(300))
    reference: Mapped[str | None] = mapped_column(String(500))
    target_resource_id: Mapped[int | None] = mapped_column(BigInteger)
