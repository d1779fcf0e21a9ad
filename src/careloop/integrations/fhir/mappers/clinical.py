"""Procedure, Immunization, AllergyIntolerance, ServiceRequest and DiagnosticReport -> their careloop tables."""

from __future__ import annotations

from typing import Any

from careloop.integrations.fhir.mappers.base import Context, Mapped, Row, enum_value, first, unmapped, values_of
from careloop.integrations.fhir.values import (
    choice_range,
    clip,
    code_fits,
    codings,
    concept_text,
    instant,
    normalised,
    system_key,
)
from careloop.models.allergy import AllergyClinicalStatus, AllergyCriticality
from careloop.models.diagnostic_report import DiagnosticReportStatus
from careloop.models.immunization import ImmunizationStatus
from careloop.models.procedure import EventStatus
from careloop.models.service_request import RequestIntent, RequestStatus

_EVENT = values_of(EventStatus)
_IMMUNIZATION = values_of(ImmunizationStatus)
_ALLERGY_CLINICAL = values_of(AllergyClinicalStatus)
_CRITICALITY = values_of(AllergyCriticality)
_REQUEST_STATUS = values_of(RequestStatus)
_REQUEST_INTENT = values_of(RequestIntent)
_REPORT_STATUS = values_of(DiagnosticReportStatus)


def coded(concept: Any, *preferred: str) -> tuple[str, str, str] | None:
    """(system key, stored code, display) of the first coding, in `preferred` order, from a known system."""
    found = []
    for coding in codings(concept):
        key, code = system_key(coding.get("system")), coding.get("code")
        if key is None or type(code) is not str:
            continue
        stored = normalised(key, code)
        if stored is None or len(stored) > 32:
            continue
        rank = preferred.index(key) if key in preferred else len(preferred)
        display = coding.get("display")
        found.append((rank, key, stored, display if type(display) is str and display else None))
    if not found:
        return None
    found.sort(key=lambda item: item[0])
    _, key, code, display = found[0]
    return key, code, display or concept_text(concept) or code


def map_procedure(resource: dict[str, Any], ctx: Context) -> Mapped:
    patient = ctx.link(resource["subject"], "subject", required=True)
    if patient is None or patient.ref.type != "Patient":
        return unmapped("Procedure.subject is not a patient reference careloop can follow")
    code = coded(resource.get("code"), "snomed", "cpt")
    if code is None:
        return unmapped("Procedure.code has no coding in a code system careloop knows")
    start, end = choice_range(resource, "performed") or (None, None)
    reason = first(resource.get("reasonCode"))
    reason_coded = coded(reason, "snomed", "icd10cm")
    return Mapped([Row("procedures", {
        "patient_id": patient, "encounter_id": ctx.link(resource.get("encounter"), "encounter"),
        "status": enum_value(resource["status"], _EVENT, "unknown"),
        "code_system": code[0], "code": code[1], "display": clip(code[2], 300),
        "performed_start": start, "performed_end": end,
        "reason_code": reason_coded[1] if reason_coded else None,
        "reason_display": clip(reason_coded[2] if reason_coded else concept_text(reason), 300),
    })], patient=patient.ref)


def map_immunization(resource: dict[str, Any], ctx: Context) -> Mapped:
    patient = ctx.link(resource["patient"], "patient", required=True)
    if patient is None:
        return unmapped("Immunization.patient is not a reference careloop can follow")
    vaccine = coded(resource["vaccineCode"], "cvx")
    if vaccine is None:
        return unmapped("Immunization.vaccineCode has no coding in a code system careloop knows (CVX...)")
    primary = resource.get("primarySource")
    return Mapped([Row("immunizations", {
        "patient_id": patient, "encounter_id": ctx.link(resource.get("encounter"), "encounter"),
        "status": enum_value(resource["status"], _IMMUNIZATION, "completed"),
        "vaccine_system": vaccine[0], "vaccine_code": vaccine[1], "display": clip(vaccine[2], 300),
        "occurred_at": instant(resource.get("occurrenceDateTime")),
        "primary_source": primary if type(primary) is bool else None,
    })], patient=patient.ref)


def map_allergy(resource: dict[str, Any], ctx: Context) -> Mapped:
    patient = ctx.link(resource["patient"], "patient", required=True)
    if patient is None:
        return unmapped("AllergyIntolerance.patient is not a reference careloop can follow")
    code = coded(resource.get("code"), "snomed", "rxnorm")
    if code is None:
        return unmapped("AllergyIntolerance.code has no coding in a code system careloop knows")
    category = first(resource.get("category"))
    return Mapped([Row("allergy_intolerances", {
        "patient_id": patient,
        "clinical_status": enum_value(_first_code(resource.get("clinicalStatus")), _ALLERGY_CLINICAL),
        "verification_status": code_fits(_first_code(resource.get("verificationStatus")), 24),
        "type": code_fits(resource.get("type") if type(resource.get("type")) is str else None, 16),
        "category": code_fits(category if type(category) is str else None, 16),
        "criticality": enum_value(resource.get("criticality"), _CRITICALITY),
        "code_system": code[0], "code": code[1], "display": clip(code[2], 300),
        "onset_at": instant(resource.get("onsetDateTime")), "recorded_at": instant(resource.get("recordedDate")),
    })], patient=patient.ref)


def map_service_request(resource: dict[str, Any], ctx: Context) -> Mapped:
    patient = ctx.link(resource["subject"], "subject", required=True)
    if patient is None or patient.ref.type != "Patient":
        return unmapped("ServiceRequest.subject is not a patient reference careloop can follow")
    code = coded(resource.get("code"), "snomed", "loinc", "cpt")
    category = coded(first(resource.get("category")), "snomed")
    start, end = choice_range(resource, "occurrence") or (None, None)
    priority = resource.get("priority")
    return Mapped([Row("service_requests", {
        "patient_id": patient, "encounter_id": ctx.link(resource.get("encounter"), "encounter"),
        "status": enum_value(resource["status"], _REQUEST_STATUS, "unknown"),
        "intent": enum_value(resource["intent"], _REQUEST_INTENT, "order"),
        "priority": code_fits(priority if type(priority) is str else None, 16),
        "category_code": category[1] if category else None,
        "category_display": clip(category[2] if category else concept_text(first(resource.get("category"))), 300),
        "code_system": code[0] if code else None, "code": code[1] if code else None,
        "display": clip(code[2] if code else concept_text(resource.get("code")), 300),
        "authored_on": instant(resource.get("authoredOn")), "occurrence_start": start, "occurrence_end": end,
        "requester": ctx.name_of(resource.get("requester"), "requester", 200),
        "performer": ctx.name_of(first(resource.get("performer")), "performer", 200),
        "reason_display": clip(concept_text(first(resource.get("reasonCode"))), 300),
    })], patient=patient.ref)


def map_diagnostic_report(resource: dict[str, Any], ctx: Context) -> Mapped:
    patient = ctx.link(resource.get("subject"), "subject", required=True)
    if patient is None or patient.ref.type != "Patient":
        return unmapped("DiagnosticReport.subject is not a patient reference careloop can follow")
    code = coded(resource["code"], "loinc", "snomed")
    if code is None:
        return unmapped("DiagnosticReport.code has no coding in a code system careloop knows")
    effective = choice_range(resource, "effective")
    category = first(resource.get("category"))
    category_codings = codings(category)
    category_code = category_codings[0].get("code") if category_codings else None
    conclusion = resource.get("conclusion")
    return Mapped([Row("diagnostic_reports", {
        "patient_id": patient, "encounter_id": ctx.link(resource.get("encounter"), "encounter"),
        "status": enum_value(resource["status"], _REPORT_STATUS, "unknown"),
        "category": code_fits(category_code if type(category_code) is str else None, 32),
        "code_system": code[0], "code": code[1], "display": clip(code[2], 300),
        "effective_at": effective[0] if effective else None, "issued_at": instant(resource.get("issued")),
        "conclusion": conclusion if type(conclusion) is str else None,
    })], patient=patient.ref)


def _first_code(concept: Any) -> str | None:
    found = codings(concept)
    code = found[0].get("code") if found else None
    return code if type(code) is str else None
