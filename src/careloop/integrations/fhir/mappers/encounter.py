"""Encounter -> encounters: class, period, type, reason, facility and discharge disposition."""

from __future__ import annotations

from typing import Any

from careloop.integrations.fhir.mappers.base import Context, Mapped, Row, enum_value, first, unmapped, values_of
from careloop.integrations.fhir.values import clip, code_fits, codings, first_coding, icd10_or_none, period
from careloop.models.encounter import EncounterClass, EncounterStatus
from careloop.terminology import discharge_disposition, icd10cm_for_snomed, system_for_uri

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
_CLASSES = values_of(EncounterClass)
_STATUSES = values_of(EncounterStatus)
# v3 ActCode: ACUTE and NONAC are kinds of IMP (inpatient); careloop does not tell them apart.
_CLASS_PARENT = {"ACUTE": "IMP", "NONAC": "IMP"}


def map_encounter(resource: dict[str, Any], ctx: Context) -> Mapped:
    patient = ctx.link(resource.get("subject"), "subject", required=True)
    if patient is None:
        return unmapped("Encounter.subject is not a patient reference careloop can follow")
    klass = resource["class"].get("code")
    klass = _CLASS_PARENT.get(klass, klass)
    if klass not in _CLASSES:
        return unmapped(f"Encounter.class {klass!r} is not one careloop distinguishes ({', '.join(sorted(_CLASSES))})")
    start, end = period(resource.get("period"))
    if start is None:
        return unmapped("Encounter.period.start missing: careloop orders encounters by their start")
    _, type_code, type_display = first_coding(first(resource.get("type")), SNOMED)
    reason_code, reason_display = _reason(first(resource.get("reasonCode")))
    disposition, disposition_source = _disposition(resource.get("hospitalization"))
    location = first(resource.get("location"))
    return Mapped([Row("encounters", {
        "patient_id": patient,
        "status": enum_value(resource.get("status"), _STATUSES, "unknown"),
        "class_code": klass,
        "type_code": code_fits(type_code, 32), "type_display": clip(type_display, 200),
        "period_start": start, "period_end": end,
        "facility": ctx.name_of(resource.get("serviceProvider"), "serviceProvider", 200),
        "location": ctx.name_of(location.get("location") if type(location) is dict else None,
                                "location.location", 200),
        "reason_code": reason_code, "reason_display": clip(reason_display, 300),
        "discharge_disposition": disposition, "discharge_disposition_source": disposition_source,
    })], patient=patient.ref)


def _reason(concept: Any) -> tuple[str | None, str | None]:
    """encounters.reason_code holds ICD-10-CM: given, or mapped from SNOMED CT where the map knows it."""
    _, _, display = first_coding(concept)
    for coding in codings(concept):
        system = system_for_uri(str(coding.get("system") or ""))
        code = coding.get("code")
        if system is None or type(code) is not str:
            continue
        if system.key == "icd10cm":
            return icd10_or_none(code), display
        if system.key == "snomed" and icd10cm_for_snomed(code):
            return icd10cm_for_snomed(code), display
    return None, display


def _disposition(hospitalization: Any) -> tuple[str | None, str | None]:
    concept = hospitalization.get("dischargeDisposition") if type(hospitalization) is dict else None
    found = codings(concept)
    if not found:
        return None, None
    for coding in found:  # an HL7 code anywhere in the concept wins over a translation
        code = coding.get("code")
        if type(code) is str:
            hl7, _ = discharge_disposition(coding.get("system"), code)
            if hl7 and coding.get("system") != "http://www.nubc.org/patient-discharge":
                return hl7, None
    coding = found[0]
    code = coding.get("code")
    if type(code) is not str:
        return None, None
    hl7, original = discharge_disposition(coding.get("system"), code)
    return hl7, code_fits(original, 80)
