"""Queries over the FHIR store for the API: one resource with its current JSON, one version, a history, and a
page of search results with its JSON in the same query (never a SELECT per resource)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from careloop.models import FhirReference, FhirResource, FhirResourceVersion


@dataclass(frozen=True)
class Stored:
    """One version of a resource as the API serves it."""

    resource_type: str
    logical_id: str
    version_id: int
    last_updated: datetime
    patient_id: int | None
    json: str


def _current_join() -> ColumnElement[bool]:
    return and_(FhirResourceVersion.resource_id == FhirResource.id,
                FhirResourceVersion.version_id == FhirResource.version_id)


_COLUMNS = (FhirResource.resource_type, FhirResource.logical_id, FhirResource.version_id,
            FhirResource.last_updated, FhirResource.patient_id, FhirResourceVersion.resource_json)


def _stored(row: Sequence[object]) -> Stored:
    return Stored(*row)  # type: ignore[arg-type]


def find(session: Session, resource_type: str, logical_id: str) -> FhirResource | None:
    return session.scalar(select(FhirResource).where(FhirResource.resource_type == resource_type,
                                                     FhirResource.logical_id == logical_id))


def versions(session: Session, resource: FhirResource, version_id: int | None = None) -> list[Stored]:
    """The resource's versions, newest first (http.html#history), or the one asked for (http.html#vread)."""
    query = (select(FhirResourceVersion.version_id, FhirResourceVersion.last_updated,
                    FhirResourceVersion.resource_json)
             .where(FhirResourceVersion.resource_id == resource.id)
             .order_by(FhirResourceVersion.version_id.desc()))
    if version_id is not None:
        query = query.where(FhirResourceVersion.version_id == version_id)
    return [Stored(resource.resource_type, resource.logical_id, vid, at, resource.patient_id, text)
            for vid, at, text in session.execute(query)]


def current(session: Session, resource: FhirResource) -> Stored:
    return versions(session, resource, resource.version_id)[0]


def count(session: Session, where: list[ColumnElement[bool]]) -> int:
    return int(session.scalar(select(func.count()).select_from(FhirResource).where(*where)) or 0)


def page(session: Session, where: list[ColumnElement[bool]], *, offset: int, limit: int) -> list[Stored]:
    """One page in a stable order (the store's key), with each resource's current JSON joined in."""
    query = (select(*_COLUMNS).join(FhirResourceVersion, _current_join()).where(*where)
             .order_by(FhirResource.id).offset(offset).limit(limit))
    return [_stored(row) for row in session.execute(query)]


def referenced(session: Session, source_where: list[ColumnElement[bool]], *, offset: int, limit: int,
               paths: Sequence[str], target_where: list[ColumnElement[bool]]) -> list[Stored]:
    """The resources a page's resources refer to through `paths` (search.html#include), in one query."""
    page_keys = (select(FhirResource.id).where(*source_where).order_by(FhirResource.id)
                 .offset(offset).limit(limit).subquery())
    targets = select(FhirReference.target_resource_id).where(
        FhirReference.resource_id.in_(select(page_keys.c.id)), FhirReference.path.in_(paths),
        FhirReference.target_resource_id.is_not(None))
    query = (select(*_COLUMNS).join(FhirResourceVersion, _current_join())
             .where(FhirResource.id.in_(targets), *target_where).order_by(FhirResource.id))
    return [_stored(row) for row in session.execute(query)]
