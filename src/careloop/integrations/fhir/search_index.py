"""What the /fhir/R4 API searches on, taken from each resource once, at import: token rows (identifier, code,
category, type... as system|code; FHIR R4 search.html#token) and the single-valued fields kept on the
resource row (status and the type's `date` parameter as a range, search.html#date)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from careloop.integrations.fhir.values import choice_range, date_range, period

Token = tuple[str, str, str]  # (search parameter, system or '', code)

# Token search parameters by the element that feeds them, beyond the common identifier/code/category/type.
_EXTRA_TOKENS: dict[str, tuple[tuple[str, str], ...]] = {
    "Encounter": (("class", "class"),),
    "Immunization": (("vaccine-code", "vaccineCode"),),
    "MedicationRequest": (("code", "medicationCodeableConcept"),),
    "MedicationStatement": (("code", "medicationCodeableConcept"),),
    "PractitionerRole": (("role", "code"), ("specialty", "specialty")),
    "Condition": (("clinical-status", "clinicalStatus"), ("verification-status", "verificationStatus")),
    "AllergyIntolerance": (("clinical-status", "clinicalStatus"),),
}
_COMMON = (("code", "code"), ("category", "category"), ("type", "type"))
# PractitionerRole.code is its `role` parameter, not `code`.
_NO_COMMON_CODE = frozenset({"PractitionerRole"})
MAX_TOKEN = 200


def tokens(resource: dict[str, Any], rtype: str) -> set[Token]:
    found: set[Token] = set()
    identifiers = resource.get("identifier")
    if type(identifiers) is dict:
        identifiers = [identifiers]
    if type(identifiers) is list:
        for identifier in identifiers:
            if type(identifier) is dict:
                value = identifier.get("value")
                if type(value) is str and len(value) <= MAX_TOKEN:
                    system = identifier.get("system")
                    found.add(("identifier", system if type(system) is str else "", value))
    common = _COMMON[1:] if rtype in _NO_COMMON_CODE else _COMMON
    for param, element in common + _EXTRA_TOKENS.get(rtype, ()):
        value = resource.get(element)
        if value is not None:
            _add_concepts(found, param, value)
    return found


def _add_concepts(found: set[Token], param: str, value: Any) -> None:
    items = value if type(value) is list else (value,)
    for item in items:
        if type(item) is not dict:
            continue
        if "code" in item and "coding" not in item:  # a Coding (Encounter.class)
            _add_coding(found, param, item)
            continue
        coding = item.get("coding")
        if type(coding) is list:
            for one in coding:
                if type(one) is dict:
                    _add_coding(found, param, one)


def _add_coding(found: set[Token], param: str, coding: dict[str, Any]) -> None:
    code = coding.get("code")
    if type(code) is str and 0 < len(code) <= MAX_TOKEN:
        system = coding.get("system")
        found.add((param, system if type(system) is str and len(system) <= MAX_TOKEN else "", code))


def status(resource: dict[str, Any], rtype: str) -> str | None:
    if rtype in ("Condition", "AllergyIntolerance"):
        concept = resource.get("clinicalStatus")
        coding = concept.get("coding") if type(concept) is dict else None
        if type(coding) is list and coding and type(coding[0]) is dict:
            code = coding[0].get("code")
            return code if type(code) is str else None
        return None
    value = resource.get("lifecycleStatus" if rtype == "Goal" else "status")
    return value[:32] if type(value) is str else None


# The element behind each type's date search parameter (R4 search parameters named `date`, or the type's
# principal date where it has none: Condition onset-date, MedicationRequest authoredon, Patient birthdate).
_DATE_CHOICE = {"Observation": "effective", "Procedure": "performed", "Immunization": "occurrence",
                "DiagnosticReport": "effective", "MedicationStatement": "effective", "Condition": "onset",
                "ServiceRequest": "occurrence", "RiskAssessment": "occurrence"}
_DATE_PERIOD = {"Encounter": "period", "CarePlan": "period", "CareTeam": "period", "EpisodeOfCare": "period",
                "Claim": "billablePeriod", "ExplanationOfBenefit": "billablePeriod"}
_DATE_VALUE = {"AllergyIntolerance": "recordedDate", "MedicationRequest": "authoredOn", "Patient": "birthDate",
               "DocumentReference": "date", "Composition": "date", "Task": "authoredOn",
               "QuestionnaireResponse": "authored", "Communication": "sent", "Consent": "dateTime",
               "Goal": "startDate", "Provenance": "recorded", "AuditEvent": "recorded"}


def date_span(resource: dict[str, Any], rtype: str) -> tuple[datetime | None, datetime | None]:
    stem = _DATE_CHOICE.get(rtype)
    if stem is not None:
        return choice_range(resource, stem) or (None, None)
    element = _DATE_PERIOD.get(rtype)
    if element is not None:
        return period(resource.get(element))
    element = _DATE_VALUE.get(rtype)
    value = resource.get(element) if element else None
    if type(value) is str:
        covered = date_range(value)
        if covered:
            return covered
    return None, None
