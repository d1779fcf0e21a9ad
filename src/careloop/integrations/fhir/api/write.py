"""create and update (FHIR R4 http.html#create, #update), conditional create (If-None-Exist,
http.html#ccreate) and version-aware update (If-Match, http.html#concurrency), over the importer's own path
(integrations/fhir/ingest.py), so a written resource is stored, indexed and mapped exactly as an imported one.

A write is planned first (body checked, scope, role and reach of what it replaces), then stored, then the
patient it now belongs to is checked: access needs that patient, and a reference resolves only once stored.
Anything refused raises, and the request's unit of work rolls every write back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from careloop import access, audit
from careloop.access import Permission
from careloop.errors import Forbidden
from careloop.integrations.fhir import ingest
from careloop.integrations.fhir.api import reach, repository, search
from careloop.integrations.fhir.api.client import SHARED_TYPES, FhirClient
from careloop.integrations.fhir.api.outcome import FhirError, bad_request
from careloop.integrations.fhir.api.repository import Stored
from careloop.integrations.fhir.api.scopes import Mode
from careloop.integrations.fhir.ingest import Incoming, Written
from careloop.integrations.fhir.structure import ID_PATTERN, RESOURCE_TYPES
from careloop.models import FhirResource, Patient
from careloop.models.audit import AuditOutcome
from careloop.public_ids import new_public_id

_SERVER_META = ("versionId", "lastUpdated")  # the server's to set (http.html#create)


@dataclass(frozen=True)
class Planned:
    """A write checked and ready to store."""

    resource_type: str
    logical_id: str
    incoming: Incoming
    before: FhirResource | None  # the stored resource an update replaces
    action: str  # fhir.create or fhir.update


@dataclass(frozen=True)
class Result:
    stored: Stored
    created: bool  # 201 Created, else 200 OK
    changed: bool = True  # False: the content was already current (or a conditional create found it)


def create(session: Session, client: FhirClient, resource_type: str, body: Any, *,
           if_none_exist: str | None = None, origin: str = "") -> Result:
    planned = plan_create(session, client, resource_type, body, if_none_exist=if_none_exist, origin=origin)
    if isinstance(planned, Result):
        return planned
    return store(session, client, [planned])[0]


def update(session: Session, client: FhirClient, resource_type: str, logical_id: str, body: Any, *,
           if_match: str | None = None, origin: str = "") -> Result:
    planned = plan_update(session, client, resource_type, logical_id, body, if_match=if_match, origin=origin)
    return store(session, client, [planned])[0]


def plan_create(session: Session, client: FhirClient, resource_type: str, body: Any, *,
                if_none_exist: str | None = None, origin: str = "",
                logical_id: str | None = None) -> Planned | Result:
    """A create, or the one resource If-None-Exist matches (200 with it). A server-assigned id: the client's,
    if any, is ignored (http.html#create); `logical_id` lets a transaction hand the id out first."""
    require_write(session, client, resource_type, "fhir.create")
    resource = checked_body(resource_type, body)
    if if_none_exist is not None:
        found = _match(session, client, resource_type, if_none_exist)
        if found is not None:
            return Result(found, created=False, changed=False)
    if resource_type == "Patient":
        raise _new_patient_refused()
    new_id = logical_id or str(new_public_id())  # version 7: new rows land on the id index's last page
    resource["id"] = new_id
    origin = origin or f"fhir-api POST {resource_type}"
    return Planned(resource_type, new_id, Incoming(resource, ingest.API_SOURCE, origin), None, "fhir.create")


def plan_update(session: Session, client: FhirClient, resource_type: str, logical_id: str, body: Any, *,
                if_match: str | None = None, origin: str = "") -> Planned:
    """An update of a stored resource under its own identity (source and source id), or a create with the
    client's id when none is stored (update as create, http.html#upsert)."""
    require_write(session, client, resource_type, "fhir.update")
    resource = checked_body(resource_type, body)
    if resource.get("id") != logical_id:
        raise bad_request(f"The resource's id ({resource.get('id')!r}) must equal the id in the URL "
                          f"({logical_id!r}) (http.html#update).")
    before = repository.find(session, resource_type, logical_id)
    origin = origin or f"fhir-api PUT {resource_type}/{logical_id}"
    if before is None:
        if if_match is not None:
            raise FhirError(412, f"If-Match names a version of {resource_type}/{logical_id}, which does not exist.")
        if resource_type == "Patient":
            raise _new_patient_refused()
        if not ID_PATTERN.fullmatch(logical_id):
            raise bad_request(f"{logical_id!r} is not a FHIR id (1 to 64 of A-Z, a-z, 0-9, '-' and '.').")
        return Planned(resource_type, logical_id, Incoming(resource, ingest.API_SOURCE, origin), None,
                       "fhir.create")
    _require_reach(session, client, before, "fhir.update")
    if if_match is not None and _version_of(if_match) != before.version_id:
        raise FhirError(412, f"{resource_type}/{logical_id} is at version {before.version_id}, not the version "
                             f"If-Match names ({if_match}); read it again and reapply the change.")
    resource["id"] = before.source_id  # the importer's identity: (source, type, source id)
    return Planned(resource_type, logical_id, Incoming(resource, before.source, origin), before, "fhir.update")


def store(session: Session, client: FhirClient, planned: list[Planned],
          full_urls: dict[str, tuple[str, str]] | None = None) -> list[Result]:
    """Store planned writes together, then check and audit each against the patient it now belongs to."""
    if not planned:
        return []
    written = ingest.ingest(session, client.actor, [p.incoming for p in planned], full_urls=full_urls,
                            label=", ".join(p.action for p in planned[:20]))
    results = []
    for plan, done in zip(planned, written, strict=True):
        _check_placed(session, client, plan, done)
        results.append(Result(_reloaded(session, plan), created=done.created, changed=done.changed))
    return results


def require_write(session: Session, client: FhirClient, resource_type: str, action: str) -> None:
    """Role (patient:write) and a write scope (`*.write` or v2 `c`/`u`/`d`) before anything is touched."""
    if resource_type not in RESOURCE_TYPES:
        raise FhirError(404, f"'{resource_type}' is not a FHIR R4 resource type.")
    if not client.actor.can(Permission.patient_write):
        reason = "Your role does not allow changing clinical data."
    elif not client.scopes.allows(resource_type, Mode.write,
                                  in_patient_compartment=resource_type not in SHARED_TYPES):
        reason = (f"The token's scopes do not allow writing {resource_type} "
                  f"(e.g. user/{resource_type}.write, user/*.write or user/*.cud).")
    else:
        return
    audit.record(session, client.actor, action, outcome=AuditOutcome.denied, entity_type=resource_type,
                 detail={"reason": reason})
    raise Forbidden(reason)


def checked_body(resource_type: str, body: Any) -> dict[str, Any]:
    """A JSON object of the type in the URL that validates as FHIR (fhir.resources' R4B models, close enough
    to R4 for what careloop serves; docs/decisions.md), without the server's meta elements."""
    if not isinstance(body, dict):
        raise bad_request("The body must be a FHIR resource as a JSON object.")
    if body.get("resourceType") != resource_type:
        raise bad_request(f"The body is a {body.get('resourceType')!r}, but the URL names {resource_type}.")
    from fhir.resources.R4B import get_fhir_model_class  # import on first write: loading the models is slow

    try:
        get_fhir_model_class(resource_type).model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise bad_request(f"The {resource_type} is not valid FHIR: {problems}") from None
    except (KeyError, ValueError) as exc:
        raise bad_request(f"The {resource_type} is not valid FHIR: {exc}") from None
    resource = dict(body)
    meta = resource.get("meta")
    if isinstance(meta, dict):
        kept = {k: v for k, v in meta.items() if k not in _SERVER_META}
        if kept:
            resource["meta"] = kept
        else:
            del resource["meta"]
    return resource


def _match(session: Session, client: FhirClient, resource_type: str, criteria: str) -> Stored | None:
    """If-None-Exist: the search it carries over every stored resource of the type, not only those the caller
    sees (a hidden match must not be duplicated), so a match outside the caller's reach is a 403."""
    query = parse_qsl(criteria.lstrip("?"), keep_blank_values=True)
    if not query:
        raise bad_request("If-None-Exist must carry search parameters, e.g. identifier=system|value.")
    spec = search.parse(resource_type, query, lenient=False)
    total = repository.count(session, spec.where)
    if total == 0:
        return None
    if total > 1:
        raise FhirError(412, f"If-None-Exist ({criteria}) matches {total} {resource_type} resources; it must "
                             "match at most one (http.html#ccreate).")
    stored = repository.page(session, spec.where, offset=0, limit=1)[0]
    found = repository.find(session, resource_type, stored.logical_id)
    assert found is not None
    reach.require_read(session, client, found, "fhir.create")
    return stored


def _version_of(if_match: str) -> int:
    """W/"3" (or "3", or 3) -> 3 (http.html#concurrency)."""
    text = if_match.strip()
    text = text[2:] if text.startswith("W/") else text
    text = text.strip('"')
    if not text.isdigit():
        raise bad_request(f"If-Match must name a version as W/\"<versionId>\", not {if_match!r}.")
    return int(text)


def _require_reach(session: Session, client: FhirClient, resource: FhirResource, action: str) -> None:
    """May the caller change what is stored now (before the write)?"""
    _require_patient_write(session, client, resource.resource_type, resource.logical_id, resource.patient_id,
                           action)


def _check_placed(session: Session, client: FhirClient, plan: Planned, written: Written) -> None:
    """After the write: the resource must belong to a patient the caller may change (its references resolved
    now); a resource no care team could see would be lost to everyone, so it is refused."""
    if plan.before is not None and (not written.changed or plan.before.patient_id == written.patient_id):
        return  # nothing written, or the same patient: checked and audited before the write
    if plan.resource_type not in SHARED_TYPES and written.patient_id is None:
        raise FhirError(422, f"{plan.resource_type}/{plan.logical_id} names no patient careloop knows: its "
                             "subject or patient must reference a Patient on this server (e.g. Patient/<id>), "
                             "otherwise no care team could see it.")
    _require_patient_write(session, client, plan.resource_type, plan.logical_id, written.patient_id, plan.action)


def _require_patient_write(session: Session, client: FhirClient, resource_type: str, logical_id: str,
                           patient_id: int | None, action: str) -> None:
    if resource_type in SHARED_TYPES:
        audit.record(session, client.actor, action, entity_type=resource_type, entity_id=logical_id)
        return
    patient = session.get(Patient, patient_id) if patient_id is not None else None
    if patient is None:
        audit.record(session, client.actor, action, outcome=AuditOutcome.denied, entity_type=resource_type,
                     entity_id=logical_id, detail={"reason": "no known patient"})
        raise Forbidden("This resource belongs to no patient careloop knows, so no care team can change it.")
    access.require(session, client.actor, Permission.patient_write, patient, action=action,
                   entity_type=resource_type, entity_id=logical_id)


def _new_patient_refused() -> Forbidden:
    return Forbidden("A new patient enters careloop through registration or import, where a care team is set "
                     "up; nobody could see one created here. Patients on your care teams can be updated.")


def _reloaded(session: Session, plan: Planned) -> Stored:
    """The stored row as the importer's raw writes left it (the session may hold an older copy)."""
    resource = session.scalar(select(FhirResource).where(FhirResource.resource_type == plan.resource_type,
                                                         FhirResource.logical_id == plan.logical_id)
                              .execution_options(populate_existing=True))
    if resource is None:  # the id another source held had to be derived
        resource = session.scalar(select(FhirResource).where(
            FhirResource.resource_type == plan.resource_type, FhirResource.source == plan.incoming.source,
            FhirResource.source_id == plan.incoming.resource["id"]).execution_options(populate_existing=True))
    assert resource is not None
    return repository.current(session, resource)
