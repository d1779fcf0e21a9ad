"""Which search parameters each resource type supports, and how the store answers each one. The
CapabilityStatement is built from this table, so it never claims more than the search code does."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # token, date, reference, status (FHIR R4 search.html#ptypes: token, date, reference)
    paths: tuple[str, ...] = ()  # reference: element paths in fhir_references
    target: str | None = None  # reference: the type a bare id means
    token: str | None = None  # token: the param name in fhir_tokens


def _ref(name: str, paths: tuple[str, ...], target: str | None = None) -> Param:
    return Param(name, "reference", paths=paths, target=target)


def _tok(name: str, token: str | None = None) -> Param:
    return Param(name, "token", token=token or name)


PATIENT = _ref("patient", ("subject", "patient", "beneficiary"), "Patient")
SUBJECT = _ref("subject", ("subject",), "Patient")
ENCOUNTER = _ref("encounter", ("encounter", "context"), "Encounter")
STATUS = Param("status", "status")

# Common to every type (search.html#all): _id and _lastUpdated are handled on their own.
COMMON = (_tok("identifier"),)

# The type's principal date (the store's date_start/date_end), under its R4 parameter name.
DATE_PARAM = {"Observation": "date", "Procedure": "date", "Immunization": "date", "DiagnosticReport": "date",
              "MedicationStatement": "effective", "Condition": "onset-date", "ServiceRequest": "occurrence",
              "Encounter": "date", "CarePlan": "date", "CareTeam": "date", "EpisodeOfCare": "date",
              "AllergyIntolerance": "date", "MedicationRequest": "authoredon", "Patient": "birthdate",
              "DocumentReference": "date", "Composition": "date", "Goal": "start-date"}

_CLINICAL = (PATIENT, SUBJECT)
BY_TYPE: dict[str, tuple[Param, ...]] = {
    "Patient": (),
    "Practitioner": (),
    "Organization": (_tok("type"),),
    "Location": (_tok("type"),),
    "PractitionerRole": (_tok("role"), _tok("specialty"), _ref("practitioner", ("practitioner",), "Practitioner"),
                         _ref("organization", ("organization",), "Organization")),
    "Encounter": (PATIENT, SUBJECT, STATUS, _tok("class"), _tok("type"),
                  _ref("participant", ("participant.individual",), "Practitioner"),
                  _ref("service-provider", ("serviceProvider",), "Organization"),
                  _ref("location", ("location.location",), "Location")),
    "Observation": (*_CLINICAL, ENCOUNTER, STATUS, _tok("code"), _tok("category")),
    "Condition": (*_CLINICAL, ENCOUNTER, _tok("code"), _tok("category"), _tok("clinical-status"),
                  _tok("verification-status")),
    "Procedure": (*_CLINICAL, ENCOUNTER, STATUS, _tok("code"), _tok("category")),
    "MedicationRequest": (*_CLINICAL, ENCOUNTER, STATUS, _tok("code"), _tok("category"),
                          _ref("requester", ("requester",), "Practitioner")),
    "MedicationStatement": (*_CLINICAL, STATUS, _tok("code"), _tok("category")),
    "Immunization": (PATIENT, STATUS, _tok("vaccine-code")),
    "AllergyIntolerance": (PATIENT, _tok("code"), _tok("clinical-status")),
    "CarePlan": (*_CLINICAL, ENCOUNTER, STATUS, _tok("category")),
    "CareTeam": (*_CLINICAL, ENCOUNTER, STATUS, _tok("category")),
    "Goal": (*_CLINICAL, Param("lifecycle-status", "status"), _tok("category")),
    "ServiceRequest": (*_CLINICAL, ENCOUNTER, STATUS, _tok("code"), _tok("category")),
    "DiagnosticReport": (*_CLINICAL, ENCOUNTER, STATUS, _tok("code"), _tok("category")),
    "DocumentReference": (*_CLINICAL, STATUS, _tok("type"), _tok("category")),
    "Claim": (PATIENT, STATUS),
    "ExplanationOfBenefit": (PATIENT, STATUS),
}


def for_type(resource_type: str) -> dict[str, Param]:
    """Every parameter `resource_type` supports by name, its date parameter included."""
    found = {p.name: p for p in (*COMMON, *BY_TYPE.get(resource_type, ()))}
    date_name = DATE_PARAM.get(resource_type)
    if date_name is not None:
        found[date_name] = Param(date_name, "date")
    return found


def includes(resource_type: str) -> dict[str, Param]:
    """The reference parameters `_include=Type:param` may follow (search.html#include)."""
    return {name: p for name, p in for_type(resource_type).items() if p.kind == "reference"}
