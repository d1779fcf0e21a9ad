"""Transaction and batch Bundles POSTed to the base (FHIR R4 http.html#transaction).

- transaction: all or nothing. Entries are processed in the order R4 prescribes (http.html#trules: DELETE,
  POST, PUT/PATCH, GET); POSTs get their ids first, so urn:uuid references between entries are rewritten to
  Type/id and resolved, exactly as the importer does with a transaction Bundle; every write is stored in one
  call. Any failure raises and the request's unit of work rolls all of it back.
- batch: each entry succeeds or fails on its own (a savepoint each), and its response says which; entries
  may not depend on each other (http.html#brules).

DELETE and PATCH are refused with 405 (docs/decisions.md): careloop supersedes clinical facts and never
deletes them, and takes whole resources only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from careloop import audit
from careloop.errors import CareloopError, Forbidden
from careloop.integrations.fhir.api import bundle, search, service, write
from careloop.integrations.fhir.api.client import FhirClient
from careloop.integrations.fhir.api.outcome import FhirError, bad_request, operation_outcome
from careloop.integrations.fhir.api.repository import Stored
from careloop.integrations.fhir.api.write import Planned, Result
from careloop.models.audit import AuditOutcome
from careloop.public_ids import new_public_id

DELETE_REFUSED = ("DELETE is not supported: careloop supersedes clinical facts and never deletes them. Update "
                  "the resource with status entered-in-error (or inactive) instead.")
PATCH_REFUSED = "PATCH is not supported: send the whole resource with PUT."
_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3}
MAX_ENTRIES = 1000
T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    """One entry's request, parsed (bundle.html#Bundle.entry.request)."""

    index: int
    method: str
    resource_type: str
    logical_id: str | None
    query: list[tuple[str, str]]
    resource: Any
    full_url: str | None
    if_none_exist: str | None
    if_match: str | None


def process(session: Session, client: FhirClient, body: Any, *, base: str, prefer: str) -> dict[str, Any]:
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise bad_request("POST to the base takes a Bundle of type transaction or batch.")
    kind = body.get("type")
    if kind not in ("transaction", "batch"):
        raise bad_request(f"A Bundle of type {kind!r} cannot be processed; send type transaction or batch.")
    items = body.get("entry") or []
    if not isinstance(items, list):
        raise bad_request("Bundle.entry must be a list.")
    if len(items) > MAX_ENTRIES:
        raise FhirError(413, f"At most {MAX_ENTRIES} entries per Bundle; split it (this one has {len(items)}).")
    if kind == "transaction":
        return _transaction(session, client, items, base, prefer)
    return _batch(session, client, items, base, prefer)


# -- transaction ---------------------------------------------------------------------------------------------

def _transaction(session: Session, client: FhirClient, items: list[Any], base: str, prefer: str) -> dict[str, Any]:
    requests = [_parsed(index, item, base) for index, item in enumerate(items)]
    for request in requests:
        _refuse_unsupported(request)
    _refuse_duplicates(requests)
    ordered = sorted(requests, key=lambda r: (_ORDER[r.method], r.index))
    full_urls: dict[str, tuple[str, str]] = {}
    planned: list[tuple[Request, Planned]] = []
    answers: dict[int, dict[str, Any]] = {}
    for request in ordered:
        if request.method == "POST":
            outcome = _plan_post(session, client, request, full_urls)
            if isinstance(outcome, Result):
                answers[request.index] = _write_answer(base, outcome, prefer)
            else:
                planned.append((request, outcome))
    for request in ordered:
        if request.method == "PUT":
            planned.append((request, _in_entry(request, partial(_plan_put, session, client, request))))
            if request.full_url:
                full_urls[request.full_url] = (request.resource_type, request.logical_id or "")
    results = write.store(session, client, [plan for _, plan in planned], full_urls)
    for (request, _), result in zip(planned, results, strict=True):
        answers[request.index] = _write_answer(base, result, prefer)
    for request in ordered:
        if request.method == "GET":
            answers[request.index] = _in_entry(request, partial(_get, session, client, request, base))
    return _response_bundle("transaction-response", requests, answers)


def _plan_post(session: Session, client: FhirClient, request: Request,
               full_urls: dict[str, tuple[str, str]]) -> Planned | Result:
    """The id is handed out now, so later entries' urn:uuid references to this one can be rewritten."""
    new_id = str(new_public_id())
    outcome = _in_entry(request, lambda: write.plan_create(
        session, client, request.resource_type, request.resource, if_none_exist=request.if_none_exist,
        origin=f"fhir-api transaction entry[{request.index}] POST {request.resource_type}", logical_id=new_id))
    if request.full_url:
        found = outcome.stored.logical_id if isinstance(outcome, Result) else new_id
        full_urls[request.full_url] = (request.resource_type, found)
    return outcome


def _plan_put(session: Session, client: FhirClient, request: Request) -> Planned:
    assert request.logical_id is not None
    return write.plan_update(session, client, request.resource_type, request.logical_id, request.resource,
                             if_match=request.if_match,
                             origin=f"fhir-api transaction entry[{request.index}] PUT "
                                    f"{request.resource_type}/{request.logical_id}")


def _refuse_duplicates(requests: list[Request]) -> None:
    """http.html#trules: a transaction must not touch the same resource twice."""
    seen: set[tuple[str, str]] = set()
    for request in requests:
        if request.method == "PUT" and request.logical_id is not None:
            key = (request.resource_type, request.logical_id)
            if key in seen:
                raise bad_request(f"entry[{request.index}]: {key[0]}/{key[1]} appears twice in the transaction.")
            seen.add(key)


@contextmanager
def _entry_context(request: Request) -> Iterator[None]:
    try:
        yield
    except CareloopError as exc:
        # Name the entry in the message; keep the status (and the error's class, so a denial stays a 403).
        exc.args = (f"entry[{request.index}] ({request.method} {request.resource_type}): {exc}",)
        if hasattr(exc, "message"):
            exc.message = exc.args[0]
        raise


def _in_entry(request: Request, call: Callable[[], T]) -> T:
    with _entry_context(request):
        return call()


# -- batch ---------------------------------------------------------------------------------------------------

def _batch(session: Session, client: FhirClient, items: list[Any], base: str, prefer: str) -> dict[str, Any]:
    """Each entry in its own savepoint: a failure rolls back that entry only and becomes its response."""
    parsed: list[Request | CareloopError] = []
    for index, item in enumerate(items):
        try:
            parsed.append(_parsed(index, item, base))
        except CareloopError as exc:
            parsed.append(exc)
    answers: dict[int, dict[str, Any]] = {}
    for index, found in enumerate(parsed):
        if isinstance(found, CareloopError):
            answers[index] = _error_answer(found.status_code, f"entry[{index}]: {found}")
    requests = [r for r in parsed if isinstance(r, Request)]
    for request in sorted(requests, key=lambda r: (_ORDER[r.method], r.index)):
        answers[request.index] = _batch_entry(session, client, request, base, prefer)
    return _response_bundle("batch-response", parsed, answers)


def _batch_entry(session: Session, client: FhirClient, request: Request, base: str, prefer: str) -> dict[str, Any]:
    try:
        with session.begin_nested():
            session.connection()  # emit the SAVEPOINT now: the importer writes through the raw driver
            return _one(session, client, request, base, prefer)
    except CareloopError as exc:
        if isinstance(exc, Forbidden):  # the denial's audit row went with the savepoint: keep one
            audit.record(session, client.actor, "fhir.batch", outcome=AuditOutcome.denied,
                         entity_type=request.resource_type, detail={"entry": request.index, "reason": str(exc)})
        return _error_answer(exc.status_code, f"entry[{request.index}]: {exc}")
    except DBAPIError as exc:
        return _error_answer(400, f"entry[{request.index}]: not stored ({str(exc).splitlines()[0][:300]})")


def _one(session: Session, client: FhirClient, request: Request, base: str, prefer: str) -> dict[str, Any]:
    _refuse_unsupported(request)
    if request.method == "GET":
        return _get(session, client, request, base)
    origin = f"fhir-api batch entry[{request.index}] {request.method} {request.resource_type}"
    if request.method == "POST":
        result = write.create(session, client, request.resource_type, request.resource,
                              if_none_exist=request.if_none_exist, origin=origin)
    else:
        assert request.logical_id is not None
        result = write.update(session, client, request.resource_type, request.logical_id, request.resource,
                              if_match=request.if_match, origin=origin)
    return _write_answer(base, result, prefer)


# -- entries -------------------------------------------------------------------------------------------------

def _parsed(index: int, item: Any, base: str) -> Request:
    where = f"entry[{index}]"
    if not isinstance(item, dict) or not isinstance(item.get("request"), dict):
        raise bad_request(f"{where}: every entry needs a request (method and url).")
    request = item["request"]
    method, url = request.get("method"), request.get("url")
    if not isinstance(method, str) or not isinstance(url, str) or not url:
        raise bad_request(f"{where}: request.method and request.url are required.")
    method = method.upper()
    if method not in _ORDER:
        raise FhirError(405, f"{where}: method {method} is not a FHIR interaction.")
    path, query = _split(url, base)
    parts = [p for p in path.split("/") if p]
    if not parts or len(parts) > 2:
        raise bad_request(f"{where}: request.url must be Type, Type/id or Type?search, not {url!r}.")
    full_url = item.get("fullUrl")
    resource = item.get("resource")
    if method in ("POST", "PUT") and not isinstance(resource, dict):
        raise bad_request(f"{where}: a {method} needs a resource.")
    if method == "PUT" and len(parts) != 2:
        raise bad_request(f"{where}: PUT needs Type/id in request.url (conditional update is not supported).")
    if method == "POST" and len(parts) != 1:
        raise bad_request(f"{where}: POST takes the type alone in request.url, not {url!r}.")
    return Request(index, method, parts[0], parts[1] if len(parts) == 2 else None, query, resource,
                   full_url if isinstance(full_url, str) else None, _text(request.get("ifNoneExist")),
                   _text(request.get("ifMatch")))


def _split(url: str, base: str) -> tuple[str, list[tuple[str, str]]]:
    """A relative url, or an absolute one on this server's base."""
    if url.startswith(base + "/"):
        url = url[len(base) + 1:]
    parts = urlsplit(url)
    if parts.scheme:
        raise bad_request(f"request.url {url!r} is not on this server ({base}).")
    return parts.path, parse_qsl(parts.query, keep_blank_values=True)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _refuse_unsupported(request: Request) -> None:
    if request.method == "DELETE":
        raise FhirError(405, f"entry[{request.index}]: {DELETE_REFUSED}")
    if request.method == "PATCH":
        raise FhirError(405, f"entry[{request.index}]: {PATCH_REFUSED}")
    if request.method == "HEAD":
        raise FhirError(405, f"entry[{request.index}]: HEAD is not supported; use GET.")


def _get(session: Session, client: FhirClient, request: Request, base: str) -> dict[str, Any]:
    """A read (Type/id) or a search (Type?params), as the same call over HTTP would answer."""
    if request.logical_id is not None:
        stored = service.read(session, client, request.resource_type, request.logical_id)
        return {"fullUrl": _full_url(base, stored), "resource": bundle.resource(stored),
                "response": _response(200, stored)}
    service.check_type(request.resource_type)
    spec = search.parse(request.resource_type, request.query, lenient=False)
    page = service.search(session, client, spec)
    self_link = bundle.url(base, request.resource_type, spec.used)
    return {"resource": service.searchset(base, page, {"self": self_link}), "response": {"status": "200 OK"}}


def _write_answer(base: str, result: Result, prefer: str) -> dict[str, Any]:
    stored = result.stored
    entry: dict[str, Any] = {"fullUrl": _full_url(base, stored),
                             "response": _response(201 if result.created else 200, stored, base)}
    if prefer == "representation":
        entry["resource"] = bundle.resource(stored)
    elif prefer == "OperationOutcome":
        outcome = operation_outcome(200, f"{stored.resource_type}/{stored.logical_id} version {stored.version_id}")
        outcome["issue"][0].update(severity="information", code="informational")
        entry["response"]["outcome"] = outcome
    return entry


def _response(status: int, stored: Stored, base: str | None = None) -> dict[str, Any]:
    response = {"status": _status(status), "etag": bundle.etag(stored), "lastModified": bundle.instant(stored)}
    if base is not None:
        response["location"] = f"{_full_url(base, stored)}/_history/{stored.version_id}"
    return response


def _error_answer(status: int, message: str) -> dict[str, Any]:
    return {"response": {"status": _status(status), "outcome": operation_outcome(status, message)}}


def _status(code: int) -> str:
    return f"{code} {HTTPStatus(code).phrase}"


def _full_url(base: str, stored: Stored) -> str:
    return f"{base}/{stored.resource_type}/{stored.logical_id}"


def _response_bundle(kind: str, requests: list[Any], answers: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """One entry per request entry, in the request's order (http.html#transaction-response)."""
    return {"resourceType": "Bundle", "type": kind, "entry": [answers[index] for index in range(len(requests))]}
