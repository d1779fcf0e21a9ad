"""The care-team rule applied to the store: a token reaches a patient-compartment resource only if its user
may see the patient (access.require for one, access.visible_patient_ids in the WHERE of a search), and a
shared resource (Practitioner, Organization, Location...) with a matching scope. Every read is audited."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, true
from sqlalchemy.orm import Session

from careloop import access, audit
from careloop.access import Permission
from careloop.errors import Forbidden
from careloop.integrations.fhir.api.client import SHARED_TYPES, FhirClient
from careloop.models import FhirResource, Patient
from careloop.models.audit import AuditOutcome


def require_read(session: Session, client: FhirClient, resource: FhirResource, action: str) -> None:
    """Raises Forbidden (403, as the rest of careloop answers for a patient one may not see)."""
    rtype, rid = resource.resource_type, resource.logical_id
    if rtype in SHARED_TYPES:
        audit.record(session, client.actor, action, entity_type=rtype, entity_id=rid)
        return
    patient = session.get(Patient, resource.patient_id) if resource.patient_id is not None else None
    if patient is None:
        # A compartment type whose patient careloop does not know (an unresolved subject): nobody's to see.
        audit.record(session, client.actor, action, outcome=AuditOutcome.denied,
                     entity_type=rtype, entity_id=rid, detail={"reason": "no known patient"})
        raise Forbidden("This resource belongs to no patient careloop knows, so no care team can see it.")
    access.require(session, client.actor, Permission.patient_read, patient, action=action, entity_type=rtype,
                   entity_id=rid)


def visible(client: FhirClient, resource_type: str) -> ColumnElement[bool]:
    """The WHERE that keeps a search of `resource_type` within the token's reach."""
    if resource_type in SHARED_TYPES:
        return true()
    return FhirResource.patient_id.in_(access.visible_patient_ids(client.actor))


def visible_any(client: FhirClient) -> ColumnElement[bool]:
    """For includes, whose targets may be of any type: shared types the token may read, or a visible patient's."""
    readable = [t for t in SHARED_TYPES if client.may_read(t)]
    patients = FhirResource.patient_id.in_(access.visible_patient_ids(client.actor))
    return or_(and_(FhirResource.resource_type.in_(readable), FhirResource.patient_id.is_(None)), patients)


def audit_shown(session: Session, client: FhirClient, action: str, resource_type: str,
                patient_ids: list[int | None]) -> None:
    """One audit row per patient a search showed (audit.record_list), as every list in careloop does."""
    audit.record_list(session, client.actor, action, [p for p in patient_ids if p is not None],
                      entity_type=resource_type)
