"""Synthea's transaction bundles (provider bundles first, then patients): every entry stored and counted,
urn:uuid references resolved across the bundle, and the records careloop works with filled in."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from careloop.integrations.fhir.importer import import_paths
from careloop.models import (
    AuditEvent,
    CarePlan,
    CarePlanCondition,
    CarePlanGoal,
    CareTeamMember,
    Condition,
    Encounter,
    FhirReference,
    FhirResource,
    FhirResourceVersion,
    Goal,
    Observation,
    Patient,
    PatientIdentifier,
)
from tests.integrations.fhir.conftest import bundle_entries, count_by_type, provider_bundles_first, stored_by_type

FRANKIE = "a5b737fb-1f94-4767-802b-1112051f5101"


def _resource(session: Session, rtype: str, source_id: str) -> FhirResource:
    found = session.scalar(select(FhirResource).where(FhirResource.resource_type == rtype,
                                                      FhirResource.source_id == source_id))
    assert found is not None, f"{rtype}/{source_id} not stored"
    return found


def test_every_bundle_entry_is_read_and_every_resource_stored_once(synthea: Path, session: Session) -> None:
    paths = provider_bundles_first(synthea / "bundles")
    entries = bundle_entries(paths)

    summary = import_paths(paths, source="synthea")

    assert {name: c.read for name, c in summary.counts.items()} == count_by_type(entries)
    distinct = count_by_type(list({(e["resourceType"], e["id"]): e for e in entries}.values()))
    assert stored_by_type(session) == distinct
    assert all(c.created + c.updated + c.unchanged == c.read for c in summary.counts.values())
    assert summary.rejected_total == 0
    assert summary.stored_only == {"Claim": 98, "ExplanationOfBenefit": 64}


def test_urn_uuid_references_resolve_to_the_right_resources(synthea: Path, session: Session) -> None:
    summary = import_paths(provider_bundles_first(synthea / "bundles"), source="synthea")

    assert not summary.unresolved
    unresolved = session.scalar(select(FhirReference).where(FhirReference.target_resource_id.is_(None)))
    assert unresolved is None
    for bundle in sorted((synthea / "bundles").glob("patient-*.json")):
        entries = bundle_entries([bundle])
        patient_id = _resource(session, "Patient", entries[0]["id"]).domain_id
        for entry in entries:
            if entry["resourceType"] == "Encounter":
                stored = _resource(session, "Encounter", entry["id"])
                assert stored.patient_id == patient_id
                encounter = session.get(Encounter, stored.domain_id)
                assert encounter is not None and encounter.patient_id == patient_id
    versions = session.scalars(select(FhirResourceVersion.resource_json)).all()
    assert not [text for text in versions if "urn:uuid:" in text], "bundle references are stored as Type/id"


def test_a_patient_arrives_with_name_birth_date_and_identifiers(synthea: Path, session: Session) -> None:
    import_paths(provider_bundles_first(synthea / "bundles"), source="synthea")

    stored = _resource(session, "Patient", FRANKIE)
    patient = session.get(Patient, stored.domain_id)
    assert patient is not None
    assert (patient.family, patient.given, patient.birth_date) == ("Jast432", "Frankie174", date(1975, 8, 12))
    assert (patient.gender, patient.phone, patient.city, patient.preferred_language) == (
        "male", "555-769-8353", "Somerset", "en-US")
    assert stored.patient_id == patient.id and stored.map_status == "mapped"
    identifiers = {(i.system, i.value, i.type_code) for i in session.scalars(
        select(PatientIdentifier).where(PatientIdentifier.patient_id == patient.id))}
    assert ("http://hospital.smarthealthit.org", FRANKIE, "MR") in identifiers
    assert ("http://hl7.org/fhir/sid/us-ssn", "999-16-6498", "SS") in identifiers
    assert len(identifiers) == 5


def test_a_blood_pressure_panel_becomes_its_two_components(synthea: Path, session: Session) -> None:
    import_paths(provider_bundles_first(synthea / "bundles"), source="synthea")

    stored = _resource(session, "Observation", "ad0c9829-99a7-435b-a482-0d860f76c979")
    rows = session.scalars(select(Observation).where(Observation.fhir_resource_id == stored.id)).all()
    assert {(r.code, r.panel_code, r.value_num, r.unit) for r in rows} == {
        ("8480-6", "85354-9", 157.0, "mm[Hg]"), ("8462-4", "85354-9", 117.0, "mm[Hg]")}
    assert {r.effective_at for r in rows} == {datetime(2011, 1, 11, 7, 56, 49, tzinfo=UTC)}
    assert {r.patient_id for r in rows} == {stored.patient_id}
    assert all(r.encounter_id is not None and r.category == "vital-signs" for r in rows)


def test_a_snomed_condition_keeps_its_code_and_gains_icd10(synthea: Path, session: Session) -> None:
    import_paths(provider_bundles_first(synthea / "bundles"), source="synthea")

    stored = _resource(session, "Condition", "77bdf2c8-acc8-4596-a056-c239032f4e44")
    condition = session.get(Condition, stored.domain_id)
    assert condition is not None
    assert (condition.code_system, condition.code, condition.icd10) == ("snomed", "59621000", "I10")
    assert (condition.clinical_status, condition.onset_date) == ("active", date(1993, 10, 5))
    assert condition.patient_id == _resource(session, "Patient", FRANKIE).domain_id


def test_care_plans_goals_and_care_teams_are_linked(synthea: Path, session: Session) -> None:
    import_paths(provider_bundles_first(synthea / "bundles"), source="synthea")

    plan_resource = _resource(session, "CarePlan", "16029eb7-d65f-4f0e-8037-8b9569dffd0a")
    plan = session.get(CarePlan, plan_resource.domain_id)
    assert plan is not None and (plan.status, plan.intent, plan.category_code) == ("active", "order", "443402002")
    hypertension = _resource(session, "Condition", "77bdf2c8-acc8-4596-a056-c239032f4e44").domain_id
    assert session.scalars(select(CarePlanCondition.condition_id).where(
        CarePlanCondition.care_plan_id == plan.id)).all() == [hypertension]
    goals = session.scalars(select(CarePlanGoal.goal_id).where(CarePlanGoal.care_plan_id == plan.id)).all()
    assert {g.description for g in session.scalars(select(Goal).where(Goal.id.in_(goals)))} == {
        "Maintain blood pressure below 140/90 mm[Hg]", "Reduce sodium intake to no more than 2,400 mg/day"}
    team = _resource(session, "CareTeam", "3f6a77db-7dcc-4701-9b3a-64755b8886a3")
    members = session.scalars(select(CareTeamMember).where(CareTeamMember.fhir_resource_id == team.id)).all()
    assert [(m.member_name, m.role, m.user_id) for m in members] == [("Dr. Merideth332 Thompson596", "other", None)]


def test_one_audit_record_per_patient_on_the_fhir_channel(synthea: Path, session: Session) -> None:
    summary = import_paths(provider_bundles_first(synthea / "bundles"), source="synthea")

    audits = session.scalars(select(AuditEvent).where(AuditEvent.action == "fhir.import")).all()
    assert summary.patients_touched == 3
    assert sorted(a.patient_id for a in audits if a.patient_id) == sorted(session.scalars(select(Patient.id)))
    assert {(a.channel, a.actor_username) for a in audits} == {("fhir", "fhir-import")}
