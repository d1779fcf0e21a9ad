"""Synthea Bulk Data NDJSON (one file per type, conditional references by identifier): every line stored and
counted, references resolved, encounters with their class, period, facility and discharge disposition.
The set is 11 MB, so it is imported once per test and the tests here are few."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from careloop.integrations.fhir.importer import import_paths
from careloop.models import (
    AuditEvent,
    Encounter,
    FhirReference,
    FhirResource,
    Organization,
    Practitioner,
    PractitionerRole,
)
from tests.integrations.fhir.conftest import count_by_type, ndjson_resources, stored_by_type

ROLE = "01a97323-3c5e-0b03-7dcf-b0e9c1d87759"


def _domain(session: Session, rtype: str, source_id: str) -> int:
    domain_id = session.scalar(select(FhirResource.domain_id).where(FhirResource.resource_type == rtype,
                                                                     FhirResource.source_id == source_id))
    assert domain_id is not None, f"{rtype}/{source_id} has no careloop row"
    return domain_id


def test_bulk_ndjson_is_stored_counted_and_its_references_resolved(synthea: Path, session: Session) -> None:
    folder = synthea / "bulk-10-patients"
    resources = ndjson_resources(folder)

    summary = import_paths([folder], source="synthea-bulk")

    assert {name: c.read for name, c in summary.counts.items()} == count_by_type(resources)
    assert stored_by_type(session) == count_by_type(resources)
    assert {name: c.created for name, c in summary.counts.items()} == count_by_type(resources)
    assert summary.rejected_total == 0
    assert summary.skipped_files == [(str(folder / "log.ndjson"),
                                      "an NDJSON file whose name does not start with a FHIR resource type")]
    assert summary.stored_only == {"DocumentReference": 1215, "Device": 16}
    # Practitioner?identifier=...|npi and Location?identifier=... resolve through the identifier index.
    assert not summary.unresolved
    assert session.scalar(select(func.count()).select_from(FhirReference).where(
        FhirReference.target_resource_id.is_(None))) == 0
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "fhir.import")) == summary.patients_touched == 13
    # Synthea codes social findings in SNOMED CT; they have no ICD-10-CM target and are listed, with counts.
    assert summary.unmapped_snomed[("160903007", "Full-time employment (finding)")] == 212


def test_encounters_carry_class_period_facility_and_discharge_disposition(synthea: Path, session: Session) -> None:
    import_paths([synthea / "bulk-10-patients"], source="synthea-bulk")

    inpatient = session.get(Encounter, _domain(session, "Encounter", "02431a0e-d934-755d-345d-f4d6324cfb98"))
    assert inpatient is not None
    assert (inpatient.class_code, inpatient.status, inpatient.type_code) == ("IMP", "finished", "185347001")
    assert (inpatient.period_start, inpatient.period_end) == (datetime(1988, 3, 16, 2, 6, 16, tzinfo=UTC),
                                                              datetime(1988, 3, 21, 12, 48, 16, tzinfo=UTC))
    assert (inpatient.facility, inpatient.location) == ("NEWMAN REGIONAL HEALTH", "NEWMAN REGIONAL HEALTH")
    assert inpatient.patient_id == _domain(session, "Patient", "129c6ac7-8d06-89de-ad63-0204a93e76c3")
    # Non-small cell carcinoma of lung, TNM stage 1 (SNOMED CT 424132000) -> ICD-10-CM C34.90
    assert inpatient.reason_code == "C3490"
    # NUBC "1" (Synthea writes it without the leading zero) is HL7's "home"; the original is kept beside it.
    discharged = session.get(Encounter, _domain(session, "Encounter", "dca6dd40-9e46-0365-a051-603ea76724c5"))
    assert discharged is not None
    assert (discharged.discharge_disposition, discharged.discharge_disposition_source) == (
        "home", "http://www.nubc.org/patient-discharge|1")
    role = session.get(PractitionerRole, _domain(session, "PractitionerRole", ROLE))
    assert role is not None and role.practitioner_id is not None and role.organization_id is not None
    practitioner = session.get(Practitioner, role.practitioner_id)
    organization = session.get(Organization, role.organization_id)
    assert practitioner is not None and organization is not None
    assert (practitioner.name, practitioner.npi, organization.name) == (
        "Dr. Bobbye345 Wuckert783", "9999999698", "OVERLAND PARK REG MED CTR")
