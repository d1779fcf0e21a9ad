"""Bulk Data $export (FHIR Bulk Data Access IG 2.0, export.html): the async kick-off, status polling,
cancellation and the download of the NDJSON files the export job (export_job.py) writes.

Levels: system (/$export: every resource the token may read), Patient (/Patient/$export: the patient
compartment of every patient the user may see) and Group (/Group/{id}/$export). A Group is a careloop team:
its members are the patients whose active care team includes the team; only a member of the team may export
it, and only patients the user may see are included (docs/decisions.md). Exports reach what the requesting
token's scopes and its user's care teams reach when the job runs, and are audited per patient shown. The
status and files are the requesting user's alone."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from careloop import audit
from careloop.access import Permission
from careloop.clock import utcnow
from careloop.config import get_settings
from careloop.errors import Forbidden
from careloop.integrations.fhir.api.client import FhirClient
from careloop.integrations.fhir.api.outcome import FhirError, bad_request
from careloop.integrations.fhir.api.scopes import Scopes
from careloop.integrations.fhir.structure import RESOURCE_TYPES
from careloop.integrations.fhir.values import date_range
from careloop.models import ExportStatus, FhirExport, Team
from careloop.models.audit import AuditOutcome
from careloop.worker import enqueue

JOB = "fhir.export"
NDJSON = "application/fhir+ndjson"
# _outputFormat values the IG says a server must accept as meaning NDJSON (export.html#query-parameters).
OUTPUT_FORMATS = frozenset({NDJSON, "application/ndjson", "ndjson"})
SUPPORTED = frozenset({"_type", "_since", "_outputFormat"})


@dataclass(frozen=True)
class Status:
    """What the status URL answers: 202 with X-Progress while running, 200 with the manifest when done."""

    done: bool
    progress: str
    manifest: dict[str, Any] | None


def kick_off(session: Session, client: FhirClient, *, level: str, query: list[tuple[str, str]], prefer: str,
             request_url: str, group_id: str | None = None) -> FhirExport:
    """Check the request, record it and queue the job (in this transaction: it exists if the request commits)."""
    if "respond-async" not in prefer.replace(" ", "").split(","):
        raise bad_request("$export is asynchronous: send 'Prefer: respond-async' (Bulk Data IG, export.html).")
    _require_reader(session, client, level)
    params = _params(query)
    types = _types(client, params.get("_type"))
    since = _since(params.get("_since"))
    if level == "group":
        _require_group(session, client, group_id or "")
    export = FhirExport(user_id=client.actor.user_id, scopes=scope_text(client.scopes), level=level, group_id=group_id,
                        types=types, since=since, request_url=request_url[:2000], transaction_time=utcnow(),
                        directory="")
    session.add(export)
    session.flush()
    export.directory = str(get_settings().fhir_export_dir / str(export.public_id))
    enqueue(session, JOB, {"export_id": export.id}, key=f"{JOB}:{export.public_id}")
    audit.record(session, client.actor, "fhir.export.kickoff", entity_type="FhirExport",
                 entity_id=str(export.public_id), detail={"level": level, "types": types, "group": group_id})
    return export


def status(session: Session, client: FhirClient, export_id: str, base: str) -> Status:
    export = _own(session, client, export_id)
    if export.status is ExportStatus.failed:
        raise FhirError(500, f"The export failed: {export.error or 'unknown error'}. Kick off a new one.")
    if export.status is not ExportStatus.completed:
        return Status(False, export.progress or export.status.value, None)
    return Status(True, "done", _manifest(export, base))


def cancel(session: Session, client: FhirClient, export_id: str) -> None:
    """DELETE on the status URL: the job stops at its next batch, and the files go (export.html#delete)."""
    export = _own(session, client, export_id)
    export.status, export.finished_at = ExportStatus.cancelled, utcnow()
    remove_files(export)
    audit.record(session, client.actor, "fhir.export.cancel", entity_type="FhirExport", entity_id=export_id)


def file_for_download(session: Session, client: FhirClient, export_id: str, name: str) -> Path:
    """One output file of a completed export, to the user who asked for it (requiresAccessToken)."""
    export = _own(session, client, export_id)
    listed = {item["file"] for item in export.output or []}
    if export.status is not ExportStatus.completed or name not in listed:
        raise FhirError(404, f"The export {export_id} has no file {name!r}.")
    audit.record(session, client.actor, "fhir.export.download", entity_type="FhirExport", entity_id=export_id,
                 detail={"file": name})
    return Path(export.directory) / name


def scope_text(scopes: Scopes) -> str:
    """The grants as SMART scope text, kept with the export: the job reaches what the token reached."""
    return " ".join(f"{g.level}/{g.resource_type}.{'*' if len(g.modes) > 1 else next(iter(g.modes)).value}"
                    for g in scopes.grants)


def remove_files(export: FhirExport) -> None:
    if export.directory:
        shutil.rmtree(export.directory, ignore_errors=True)


def _own(session: Session, client: FhirClient, export_id: str) -> FhirExport:
    """The export, if it is this user's: anyone else's id is a 404, as one that does not exist."""
    try:
        public_id = uuid.UUID(export_id)
    except ValueError:
        raise FhirError(404, f"No export {export_id!r}.") from None
    export = session.scalar(select(FhirExport).where(FhirExport.public_id == public_id))
    if export is None or export.user_id != client.actor.user_id or export.status is ExportStatus.cancelled:
        raise FhirError(404, f"No export {export_id!r} of yours (it may have been cancelled).")
    return export


def _manifest(export: FhirExport, base: str) -> dict[str, Any]:
    """export.html#response---complete-status."""
    files = f"{base}/$export-files/{export.public_id}"
    return {
        "transactionTime": export.transaction_time.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "request": export.request_url,
        "requiresAccessToken": True,
        "output": [{"type": item["type"], "url": f"{files}/{item['file']}", "count": item["count"]}
                   for item in export.output or []],
        "error": [],
    }


def _require_reader(session: Session, client: FhirClient, level: str) -> None:
    if client.actor.can(Permission.patient_read) and client.scopes.readable_types() != frozenset():
        return
    reason = "Your role does not allow reading clinical data." if not client.actor.can(Permission.patient_read) \
        else "The token's scopes allow reading nothing (e.g. user/*.read)."
    audit.record(session, client.actor, "fhir.export.kickoff", outcome=AuditOutcome.denied,
                 detail={"reason": reason, "level": level})
    raise Forbidden(reason)


def _params(query: list[tuple[str, str]]) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in query:
        if name not in SUPPORTED:
            raise bad_request(f"$export does not support {name!r}; it takes {', '.join(sorted(SUPPORTED))}.")
        if name in params:
            raise bad_request(f"{name} is given twice; give it once (types as a comma-separated list).")
        params[name] = value
    output = params.get("_outputFormat")
    if output is not None and output not in OUTPUT_FORMATS:
        raise bad_request(f"_outputFormat {output!r} is not supported; use {NDJSON}.")
    return params


def _types(client: FhirClient, value: str | None) -> list[str] | None:
    """_type, checked against R4 and the token's scopes; None (every type the token may read) when absent."""
    if value is None:
        return None
    types = [t.strip() for t in value.split(",") if t.strip()]
    unknown = [t for t in types if t not in RESOURCE_TYPES]
    if not types or unknown:
        raise bad_request(f"_type must list FHIR R4 resource types; not known: {', '.join(unknown) or '(empty)'}.")
    refused = [t for t in types if not client.may_read(t)]
    if refused:
        raise Forbidden(f"The token's scopes do not allow reading {', '.join(refused)}.")
    return list(dict.fromkeys(types))


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    covered = date_range(value) if "T" in value else None
    if covered is None:
        raise bad_request(f"_since must be a FHIR instant such as 2026-01-31T00:00:00Z, not {value!r}.")
    return covered[0]


def _require_group(session: Session, client: FhirClient, group_id: str) -> Team:
    try:
        public_id = uuid.UUID(group_id)
    except ValueError:
        raise FhirError(404, f"No Group {group_id!r}: a Group is a careloop team, named by its id.") from None
    team = session.scalar(select(Team).where(Team.public_id == public_id))
    if team is None:
        raise FhirError(404, f"No Group {group_id!r}: a Group is a careloop team, named by its id.")
    if team.id not in client.actor.team_ids:
        audit.record(session, client.actor, "fhir.export.kickoff", outcome=AuditOutcome.denied,
                     entity_type="Group", entity_id=group_id, detail={"reason": "not a member of the team"})
        raise Forbidden("Only members of a team may export its Group.")
    return team
