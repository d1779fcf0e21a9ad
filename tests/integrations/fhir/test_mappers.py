"""The mappers on their own: pure functions from a FHIR resource to careloop rows, no database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from careloop.integrations.fhir.mappers import PRIMARY, Context, Link, NameOf
from careloop.integrations.fhir.mappers.care import map_care_team
from careloop.integrations.fhir.mappers.condition import map_condition
from careloop.integrations.fhir.mappers.encounter import map_encounter
from careloop.integrations.fhir.references import ref

CONTEXT = Context({}, datetime(2026, 1, 1, tzinfo=UTC))


def _inpatient(**changes: Any) -> dict[str, Any]:
    encounter = {"resourceType": "Encounter", "id": "e1", "status": "finished",
                 "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
                 "subject": {"reference": "Patient/p1"},
                 "period": {"start": "2024-03-01T22:10:00-05:00", "end": "2024-03-05T11:00:00-05:00"},
                 "serviceProvider": {"reference": "Organization/o1", "display": "Lakeview General"},
                 "hospitalization": {"dischargeDisposition": {"coding": [
                     {"system": "http://www.nubc.org/patient-discharge", "code": "03"}]}}}
    return {**encounter, **changes}


def test_an_inpatient_stay_maps_class_period_disposition_and_facility() -> None:
    row = map_encounter(_inpatient(), CONTEXT).rows[0].values

    assert row["patient_id"] == Link(ref("Patient", "p1"), required=True)
    assert (row["class_code"], row["status"]) == ("IMP", "finished")
    assert (row["period_start"], row["period_end"]) == (datetime(2024, 3, 2, 3, 10, tzinfo=UTC),
                                                        datetime(2024, 3, 5, 16, 0, tzinfo=UTC))
    assert (row["discharge_disposition"], row["discharge_disposition_source"]) == (
        "snf", "http://www.nubc.org/patient-discharge|03")
    assert row["facility"] == NameOf(ref("Organization", "o1"), "Lakeview General", 200)


def test_an_hl7_disposition_is_stored_as_is_and_acute_is_inpatient() -> None:
    hl7 = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/discharge-disposition", "code": "rehab"}]}
    row = map_encounter(_inpatient(**{"class": {"code": "ACUTE"}, "hospitalization": {"dischargeDisposition": hl7}}),
                        CONTEXT).rows[0].values

    assert (row["class_code"], row["discharge_disposition"], row["discharge_disposition_source"]) == (
        "IMP", "rehab", None)


def test_an_encounter_class_careloop_does_not_tell_apart_is_not_guessed() -> None:
    mapped = map_encounter(_inpatient(**{"class": {"code": "FLD"}}), CONTEXT)

    assert not mapped.rows and mapped.unmapped is not None and "'FLD'" in mapped.unmapped


def test_a_condition_coded_in_icd10cm_keeps_it_normalised() -> None:
    condition = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
                 "clinicalStatus": {"coding": [{"code": "active"}]},
                 "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "e11.22",
                                      "display": "Type 2 diabetes mellitus with diabetic CKD"}]}}

    row = map_condition(condition, CONTEXT).rows[0].values

    assert (row["code_system"], row["code"], row["icd10"], row["verification_status"]) == (
        "icd10cm", "E1122", "E1122", "unconfirmed")


def test_care_team_members_are_people_by_name_with_known_roles_only() -> None:
    team = {"resourceType": "CareTeam", "id": "t1", "status": "inactive", "subject": {"reference": "Patient/p1"},
            "period": {"start": "2023-01-01", "end": "2023-06-30"},
            "participant": [
                {"member": {"reference": "Patient/p1"}},
                {"member": {"reference": "Organization/o1", "display": "Clinic"}},
                {"role": [{"coding": [{"system": "http://snomed.info/sct", "code": "106328005"}]}],
                 "member": {"reference": "Practitioner/d1", "display": "Sam Social"}},
                {"member": {"reference": "RelatedPerson/r1", "display": "Lucia (daughter)"}}]}

    mapped = map_care_team(team, CONTEXT)

    assert [(r.values["role"], r.values["member_name"].fallback) for r in mapped.rows] == [
        ("social-worker", "Sam Social"), ("family-caregiver", "Lucia (daughter)")]
    assert {r.values["period_end"] for r in mapped.rows} == {datetime(2023, 6, 30, 23, 59, 59, 999999, tzinfo=UTC)}
    assert all(r.values["patient_id"] == Link(ref("Patient", "p1"), required=True) for r in mapped.rows)
    assert not mapped.one_to_one and PRIMARY not in mapped.rows[0].values.values()
