"""The /fhir/R4 write routes: create (POST /{type}), update (PUT /{type}/{id}), and transaction or batch
Bundles (POST /). Thin: read the body and the headers FHIR defines, call write.py or transaction.py, answer
with the headers of http.html#create and #update and the body `Prefer: return=` asks for."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from careloop.http.deps import DbSession
from careloop.integrations.fhir.api import bundle, transaction, write
from careloop.integrations.fhir.api.client import Client
from careloop.integrations.fhir.api.outcome import FhirError, bad_request, fhir_response, operation_outcome
from careloop.integrations.fhir.api.router import PREFIX, _base, _json_only

router = APIRouter(prefix=PREFIX, include_in_schema=False, dependencies=[Depends(_json_only)])


async def _body(request: Request) -> Any:
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind not in ("application/fhir+json", "application/json", ""):
        raise FhirError(415, f"Send the resource as application/fhir+json, not {kind}.")
    raw = await request.body()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"The body is not valid JSON ({exc}).") from None


Body = Annotated[Any, Depends(_body)]


def _prefer_return(request: Request) -> str:
    """Prefer: return=minimal | representation | OperationOutcome (http.html#ops); representation by default."""
    for part in request.headers.get("prefer", "").split(","):
        name, _, value = part.strip().partition("=")
        if name.strip() == "return" and value.strip().strip('"') in ("minimal", "OperationOutcome"):
            return value.strip().strip('"')
    return "representation"


def _answer(request: Request, result: write.Result) -> Response:
    stored = result.stored
    headers = bundle.headers(stored)
    headers["Location"] = f"{_base(request)}/{stored.resource_type}/{stored.logical_id}/_history/{stored.version_id}"
    status = 201 if result.created else 200
    wanted = _prefer_return(request)
    if wanted == "minimal":
        return Response(status_code=status, headers=headers)
    if wanted == "OperationOutcome":
        what = "created" if result.created else ("updated" if result.changed else "unchanged")
        body = operation_outcome(status, f"{stored.resource_type}/{stored.logical_id} {what}, version "
                                         f"{stored.version_id}.")
        body["issue"][0].update(severity="information", code="informational")
        return fhir_response(body, status, headers)
    return fhir_response(bundle.resource(stored), status, headers)


@router.post("")
@router.post("/")
def bundle_post(request: Request, session: DbSession, client: Client, body: Body) -> Response:
    """A transaction or batch Bundle (http.html#transaction)."""
    answer = transaction.process(session, client, body, base=_base(request), prefer=_prefer_return(request))
    return fhir_response(answer)


@router.post("/{resource_type}")
def create(request: Request, session: DbSession, client: Client, resource_type: str, body: Body) -> Response:
    result = write.create(session, client, resource_type, body,
                          if_none_exist=request.headers.get("if-none-exist"))
    return _answer(request, result)


@router.put("/{resource_type}/{logical_id}")
def update(request: Request, session: DbSession, client: Client, resource_type: str, logical_id: str,
           body: Body) -> Response:
    result = write.update(session, client, resource_type, logical_id, body,
                          if_match=request.headers.get("if-match"))
    return _answer(request, result)


@router.delete("/{resource_type}/{logical_id}")
def delete(resource_type: str, logical_id: str) -> Response:
    raise FhirError(405, transaction.DELETE_REFUSED)


@router.patch("/{resource_type}/{logical_id}")
def patch(resource_type: str, logical_id: str) -> Response:
    raise FhirError(405, transaction.PATCH_REFUSED)
