"""The Bulk Data routes (Bulk Data Access IG 2.0, export.html): kick-off at system, Patient and Group level,
the status URL (poll, or DELETE to cancel) and the file downloads. Thin: parse, call export.py, answer."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response

from careloop.http.deps import DbSession
from careloop.integrations.fhir.api import export
from careloop.integrations.fhir.api.client import Client
from careloop.integrations.fhir.api.outcome import fhir_response, operation_outcome
from careloop.integrations.fhir.api.router import PREFIX, _base, _json_only

router = APIRouter(prefix=PREFIX, include_in_schema=False, dependencies=[Depends(_json_only)])
RETRY_AFTER = "2"  # seconds; exports of a practice's data take seconds


def _kick_off(request: Request, session: DbSession, client: Client, level: str, group_id: str | None = None
              ) -> Response:
    started = export.kick_off(session, client, level=level, query=request.query_params.multi_items(),
                              prefer=request.headers.get("prefer", ""), request_url=str(request.url),
                              group_id=group_id)
    body = operation_outcome(202, f"Export {started.public_id} accepted; poll the Content-Location URL.")
    body["issue"][0].update(severity="information", code="informational")
    location = f"{_base(request)}/$export-status/{started.public_id}"
    return fhir_response(body, 202, {"Content-Location": location})


@router.get("/$export")
def system_export(request: Request, session: DbSession, client: Client) -> Response:
    return _kick_off(request, session, client, "system")


@router.get("/Patient/$export")
def patient_export(request: Request, session: DbSession, client: Client) -> Response:
    return _kick_off(request, session, client, "patient")


@router.get("/Group/{group_id}/$export")
def group_export(request: Request, session: DbSession, client: Client, group_id: str) -> Response:
    return _kick_off(request, session, client, "group", group_id)


@router.get("/$export-status/{export_id}")
def export_status(request: Request, session: DbSession, client: Client, export_id: str) -> Response:
    found = export.status(session, client, export_id, _base(request))
    if found.manifest is None:
        return Response(status_code=202, headers={"X-Progress": found.progress, "Retry-After": RETRY_AFTER})
    return Response(orjson.dumps(found.manifest), media_type="application/json")  # export.html: plain JSON


@router.delete("/$export-status/{export_id}")
def export_cancel(session: DbSession, client: Client, export_id: str) -> Response:
    export.cancel(session, client, export_id)
    return Response(status_code=202)


@router.get("/$export-files/{export_id}/{name}")
def export_file(session: DbSession, client: Client, export_id: str, name: str) -> FileResponse:
    path = export.file_for_download(session, client, export_id, name)
    return FileResponse(path, media_type=export.NDJSON)
