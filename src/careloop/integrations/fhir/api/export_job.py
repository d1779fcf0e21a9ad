"""The Bulk Data export job (worker kind `fhir.export`): streams the store, in batches, into one NDJSON file
per resource type under the export's folder, as the requesting user and token would see it when it runs.

Each batch is its own short transaction (read, audit the patients it shows, record progress), so status
polls see progress, a cancellation is noticed at the next batch, and on SQLite the write lock is never held
for the length of an export. Idempotent: run again (after a crash) it starts the files afresh. A failure is
recorded on the export (the status URL answers it with an OperationOutcome) rather than retried: the client
kicks off a new export, as the Bulk Data IG expects."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from careloop import access, db
from careloop.access import load_actor
from careloop.clock import utcnow
from careloop.integrations.fhir.api import bundle, reach, scopes
from careloop.integrations.fhir.api.client import FhirClient
from careloop.integrations.fhir.api.export import remove_files
from careloop.integrations.fhir.api.repository import Stored
from careloop.models import CareTeamMember, ExportStatus, FhirExport, FhirResource, FhirResourceVersion, Team, User

BATCH = 1000  # resources per read and per transaction
log = logging.getLogger("careloop.fhir.export")


@dataclass(frozen=True, slots=True)
class _Keyed:
    key: int  # the store key, where the next batch starts
    stored: Stored


def run_export(session: Session, payload: Mapping[str, Any]) -> None:
    export_id = int(payload["export_id"])
    folder = _start(export_id)
    if folder is None:
        return  # cancelled, or finished by an earlier run
    try:
        counts = _stream(export_id, folder)
    except Exception as exc:
        log.exception("export %s failed", export_id)
        _fail(session, export_id, f"{type(exc).__name__}: {exc}"[:1000])
        return
    _finish(session, export_id, counts)


def _start(export_id: int) -> Path | None:
    with db.unit_of_work() as work:
        export = work.get(FhirExport, export_id)
        if export is None or export.status not in (ExportStatus.accepted, ExportStatus.running):
            return None
        export.status, export.progress = ExportStatus.running, "started"
        folder = Path(export.directory)
    for old in folder.glob("*.ndjson"):
        old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stream(export_id: int, folder: Path) -> dict[str, int] | None:
    """Write every batch; None if the export was cancelled meanwhile."""
    counts: dict[str, int] = {}
    after = 0
    with ExitStack() as files:
        handles: dict[str, IO[bytes]] = {}
        while True:
            with db.unit_of_work() as work:
                export = work.get(FhirExport, export_id)
                if export is None or export.status is not ExportStatus.running:
                    return None
                client = _client(work, export)
                rows = _batch(work, client, export, after)
                reach.audit_shown(work, client, "fhir.export", "export", [r.stored.patient_id for r in rows])
                for row in rows:
                    rtype = row.stored.resource_type
                    handle = handles.get(rtype)
                    if handle is None:
                        handle = handles[rtype] = files.enter_context(open(folder / f"{rtype}.ndjson", "ab"))
                    handle.write(orjson.dumps(bundle.resource(row.stored)) + b"\n")
                    counts[rtype] = counts.get(rtype, 0) + 1
                for handle in handles.values():
                    handle.flush()
                export.progress = f"{sum(counts.values())} resources written"
            if len(rows) < BATCH:
                return counts
            after = rows[-1].key


def _client(session: Session, export: FhirExport) -> FhirClient:
    """The requesting user as they are now (roles, teams, active) with the scopes their token had."""
    user = session.get(User, export.user_id)
    if user is None or not user.active:
        raise PermissionError("the user who asked for the export is no longer active")
    return FhirClient(load_actor(session, user, channel="fhir"), scopes.parse(export.scopes))


def _batch(session: Session, client: FhirClient, export: FhirExport, after: int) -> list[_Keyed]:
    """The next BATCH resources after store key `after` that the export covers and the client may see."""
    where = [FhirResource.id > after, *_covered(client, export)]
    if export.since is not None:
        where.append(FhirResource.last_updated > export.since)
    query = (select(FhirResource.id, FhirResource.resource_type, FhirResource.logical_id, FhirResource.version_id,
                    FhirResource.last_updated, FhirResource.patient_id, FhirResourceVersion.resource_json)
             .join(FhirResourceVersion, (FhirResourceVersion.resource_id == FhirResource.id)
                   & (FhirResourceVersion.version_id == FhirResource.version_id))
             .where(*where).order_by(FhirResource.id).limit(BATCH))
    return [_Keyed(row[0], Stored(*row[1:])) for row in session.execute(query)]


def _covered(client: FhirClient, export: FhirExport) -> list[ColumnElement[bool]]:
    """The export's level and _type, within the token's readable types and the user's patients."""
    where: list[ColumnElement[bool]] = []
    if export.types is not None:
        where.append(FhirResource.resource_type.in_(export.types))
    readable = client.scopes.readable_types()
    if readable is not None:
        where.append(FhirResource.resource_type.in_(readable))
    if export.level == "system":
        where.append(reach.visible_any(client))  # shared types the token reads, and the user's patients' data
        return where
    where.append(FhirResource.patient_id.in_(access.visible_patient_ids(client.actor)))
    if export.level == "group":
        members = (select(CareTeamMember.patient_id).join(Team, Team.id == CareTeamMember.team_id)
                   .where(Team.public_id == _uuid(export.group_id), CareTeamMember.period_end.is_(None)))
        where.append(FhirResource.patient_id.in_(members))
    return where


def _uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


def _finish(session: Session, export_id: int, counts: dict[str, int] | None) -> None:
    export = session.get(FhirExport, export_id)
    if export is None:
        return
    if counts is None or export.status is ExportStatus.cancelled:
        remove_files(export)
        return
    export.status, export.progress, export.finished_at = ExportStatus.completed, "done", utcnow()
    export.output = [{"type": rtype, "file": f"{rtype}.ndjson", "count": count}
                     for rtype, count in sorted(counts.items())]


def _fail(session: Session, export_id: int, error: str) -> None:
    export = session.get(FhirExport, export_id)
    if export is not None and export.status is ExportStatus.running:
        export.status, export.error, export.finished_at = ExportStatus.failed, error, utcnow()
        remove_files(export)
