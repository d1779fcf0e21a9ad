"""The /fhir/R4 routes (FHIR R4 http.html): thin, parse the request, call service, return FHIR JSON. Left out
of the /api OpenAPI description: a FHIR server describes itself with its CapabilityStatement (/metadata)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from careloop.http.deps import DbSession
from careloop.integrations.fhir.api import bundle, capability, search, service
from careloop.integrations.fhir.api.client import Client
from careloop.integrations.fhir.api.outcome import FhirError, fhir_response

PREFIX = "/fhir/R4"
RELEASED = "2026-11-23"


def _json_only(request: Request) -> None:
    """JSON is the only format (http.html#mime); _format and Accept may ask for it in any spelling."""
    asked = request.query_params.get("_format") or request.headers.get("accept", "")
    if ("xml" in asked or "turtle" in asked) and "json" not in asked and "*/*" not in asked:
        raise FhirError(406, "Only JSON is served (application/fhir+json); XML and Turtle are not.")


router = APIRouter(prefix=PREFIX, include_in_schema=False, dependencies=[Depends(_json_only)])


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX


@router.get("/metadata")
def metadata(request: Request) -> Response:
    # Public, as SMART App Launch requires for discovery (conformance.html).
    return fhir_response(capability.statement(_base(request), RELEASED))


def _lenient(request: Request) -> bool:
    return "handling=lenient" in request.headers.get("prefer", "").replace(" ", "")


def _search(request: Request, session: DbSession, client: Client, resource_type: str,
            query: list[tuple[str, str]]) -> Response:
    service.check_type(resource_type)
    spec = search.parse(resource_type, query, lenient=_lenient(request))
    page = service.search(session, client, spec)
    base = _base(request)
    return fhir_response(service.searchset(base, page, _links(base, resource_type, spec.used, page.total,
                                                             spec.offset, spec.count, spec.summary_count)))


def _links(base: str, path: str, used: list[tuple[str, str]], total: int, offset: int, count: int,
           summary: bool) -> dict[str, str]:
    """self, next and previous over a stable order (search.html#paging; the store key breaks ties)."""
    def at(start: int) -> str:
        return bundle.url(base, path, [*used, ("_count", str(count)), ("_offset", str(start))])

    links = {"self": at(offset)}
    if not summary and count and offset + count < total:
        links["next"] = at(offset + count)
    if not summary and offset > 0:
        links["previous"] = at(max(offset - count, 0))
    return links


@router.get("/Patient/{logical_id}/$everything")
def everything(request: Request, session: DbSession, client: Client, logical_id: str) -> Response:
    query = request.query_params
    offset = search.non_negative("_offset", query.get("_offset", "0"))
    count = min(search.non_negative("_count", query.get("_count", str(search.DEFAULT_COUNT))), search.MAX_COUNT)
    page = service.everything(session, client, logical_id, offset=offset, count=count)
    base = _base(request)
    links = _links(base, f"Patient/{logical_id}/$everything", [], page.total, offset, count, False)
    return fhir_response(service.searchset(base, page, links))


@router.get("/{resource_type}")
def search_type(request: Request, session: DbSession, client: Client, resource_type: str) -> Response:
    return _search(request, session, client, resource_type, request.query_params.multi_items())


async def _form(request: Request) -> list[tuple[str, str]]:
    """POST _search carries its parameters as a form body, besides any in the URL (http.html#search)."""
    body = (await request.body()).decode()
    return [*request.query_params.multi_items(), *parse_qsl(body, keep_blank_values=True)]


@router.post("/{resource_type}/_search")
def search_post(request: Request, session: DbSession, client: Client, resource_type: str,
                form: Annotated[list[tuple[str, str]], Depends(_form)]) -> Response:
    return _search(request, session, client, resource_type, form)


@router.get("/{resource_type}/{logical_id}")
def read(session: DbSession, client: Client, resource_type: str, logical_id: str) -> Response:
    stored = service.read(session, client, resource_type, logical_id)
    return fhir_response(bundle.resource(stored), headers=bundle.headers(stored))


@router.get("/{resource_type}/{logical_id}/_history")
def history(request: Request, session: DbSession, client: Client, resource_type: str,
            logical_id: str) -> Response:
    versions = service.history(session, client, resource_type, logical_id)
    base = _base(request)
    return fhir_response(bundle.history(base, versions, f"{base}/{resource_type}/{logical_id}/_history"))


@router.get("/{resource_type}/{logical_id}/_history/{version}")
def vread(session: DbSession, client: Client, resource_type: str, logical_id: str, version: str) -> Response:
    stored = service.vread(session, client, resource_type, logical_id, version)
    return fhir_response(bundle.resource(stored), headers=bundle.headers(stored))
