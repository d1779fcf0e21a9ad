"""The FHIR API's use cases over the store: read, vread, history, search and Patient/$everything. Each takes
the client (actor and scopes), checks scope and reach before returning anything, and audits on channel fhir."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from careloop.integrations.fhir.api import bundle, reach, repository
from careloop.integrations.fhir.api.client import FhirClient
from careloop.integrations.fhir.api.outcome import FhirError
from careloop.integrations.fhir.api.repository import Stored
from careloop.integrations.fhir.api.search import Search
from careloop.integrations.fhir.structure import RESOURCE_TYPES
from careloop.models import FhirResource


def check_type(resource_type: str) -> None:
    if resource_type not in RESOURCE_TYPES:
        raise FhirError(404, f"'{resource_type}' is not a FHIR R4 resource type.")


def _found(session: Session, client: FhirClient, resource_type: str, logical_id: str, action: str) -> FhirResource:
    check_type(resource_type)
    client.require_scope(session, resource_type)
    resource = repository.find(session, resource_type, logical_id)
    if resource is None:
        raise FhirError(404, f"{resource_type}/{logical_id} is not known to this server.")
    reach.require_read(session, client, resource, action)
    return resource


def read(session: Session, client: FhirClient, resource_type: str, logical_id: str) -> Stored:
    return repository.current(session, _found(session, client, resource_type, logical_id, "fhir.read"))


def vread(session: Session, client: FhirClient, resource_type: str, logical_id: str, version: str) -> Stored:
    resource = _found(session, client, resource_type, logical_id, "fhir.vread")
    found = repository.versions(session, resource, int(version)) if version.isdigit() else []
    if not found:
        raise FhirError(404, f"{resource_type}/{logical_id} has no version '{version}' "
                             f"(versions 1 to {resource.version_id}).")
    return found[0]


def history(session: Session, client: FhirClient, resource_type: str, logical_id: str) -> list[Stored]:
    return repository.versions(session, _found(session, client, resource_type, logical_id, "fhir.history"))


@dataclass(frozen=True)
class Page:
    total: int
    matches: list[Stored]
    included: list[Stored]


def search(session: Session, client: FhirClient, spec: Search) -> Page:
    """One count, one query for the page, one per _include: search.html#count and #include."""
    check_type(spec.resource_type)
    client.require_scope(session, spec.resource_type)
    where = [*spec.where, reach.visible(client, spec.resource_type)]
    total = repository.count(session, where)
    if spec.summary_count:
        return Page(total, [], [])
    matches = repository.page(session, where, offset=spec.offset, limit=spec.count)
    included: dict[tuple[str, str], Stored] = {}
    for _value, param in spec.includes:
        for stored in repository.referenced(session, where, offset=spec.offset, limit=spec.count,
                                            paths=param.paths, target_where=[reach.visible_any(client)]):
            if client.may_read(stored.resource_type):
                included[(stored.resource_type, stored.logical_id)] = stored
    shown = [*matches, *included.values()]
    reach.audit_shown(session, client, "fhir.search", spec.resource_type, [s.patient_id for s in shown])
    return Page(total, matches, list(included.values()))


def everything(session: Session, client: FhirClient, logical_id: str, *, offset: int, count: int) -> Page:
    """The patient's compartment (patient-operation-everything.html), paged, within the token's scopes."""
    patient = _found(session, client, "Patient", logical_id, "fhir.everything")  # access checked and audited
    types = client.scopes.readable_types()
    where = [FhirResource.patient_id == patient.patient_id]
    if types is not None:
        where.append(FhirResource.resource_type.in_(types))
    total = repository.count(session, where)
    return Page(total, repository.page(session, where, offset=offset, limit=count), [])


def searchset(base: str, page: Page, links: dict[str, str]) -> dict[str, Any]:
    return bundle.searchset(base, total=page.total, matches=page.matches, included=page.included, links=links)
