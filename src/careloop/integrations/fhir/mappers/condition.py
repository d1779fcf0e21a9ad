"""Condition -> conditions: the code as sent (SNOMED CT kept), and ICD-10-CM beside it, given or mapped."""

from __future__ import annotations

from typing import Any

from careloop.integrations.fhir.mappers.base import Context, Mapped, Row, unmapped, values_of
from careloop.integrations.fhir.values import clip, codings, concept_text, instant, local_date, normalised, system_key
from careloop.models.condition import ConditionCategory, ConditionClinicalStatus
from careloop.terminology import icd10cm_for_snomed

_CATEGORIES = values_of(ConditionCategory)
_CLINICAL = values_of(ConditionClinicalStatus)
# Which coding names the condition when a concept has several: SNOMED CT, then ICD-10-CM, then others.
_PREFERENCE = {"snomed": 0, "icd10cm": 1, "icd10": 2}


def map_condition(resource: dict[str, Any], ctx: Context) -> Mapped:
    patient = ctx.link(resource.get("subject"), "subject", required=True)
    if patient is None:
        return unmapped("Condition.subject is not a patient reference careloop can follow")
    clinical = _first_code(resource.get("clinicalStatus"))
    if clinical not in _CLINICAL:
        return unmapped(f"Condition.clinicalStatus {clinical!r} is not a condition-clinical code")
    coded = _code(resource.get("code"))
    if isinstance(coded, str):
        return unmapped(coded)
    key, code, display, icd10 = coded
    mapped = Mapped(patient=patient.ref)
    if key == "snomed" and icd10 is None:
        icd10 = icd10cm_for_snomed(code)
        if icd10 is None:
            mapped.unmapped_snomed = (code, display)
    onset = local_date(resource.get("onsetDateTime")) or _period_start(resource.get("onsetPeriod"))
    recorded = (instant(resource.get("recordedDate")) or instant(resource.get("onsetDateTime")) or ctx.now)
    mapped.rows.append(Row("conditions", {
        "patient_id": patient,
        "encounter_id": ctx.link(resource.get("encounter"), "encounter"),
        "code_system": key, "code": code, "display": clip(display, 300), "icd10": icd10,
        "category": _category(resource.get("category")),
        "clinical_status": clinical,
        "verification_status": (_first_code(resource.get("verificationStatus")) or "unconfirmed")[:24],
        "onset_date": onset,
        "abatement_date": local_date(resource.get("abatementDateTime")) or _period_start(
            resource.get("abatementPeriod")),
        "recorded_at": recorded,
    }))
    return mapped


def _code(concept: Any) -> tuple[str, str, str, str | None] | str:
    """(system key, code, display, ICD-10-CM if one is given), or why the concept cannot be stored."""
    candidates = []
    for coding in codings(concept):
        key, code = system_key(coding.get("system")), coding.get("code")
        if key is not None and type(code) is str:
            candidates.append((_PREFERENCE.get(key, 3), key, code, coding.get("display")))
    if not candidates:
        return "Condition.code has no coding in a code system careloop knows (SNOMED CT, ICD-10-CM...)"
    candidates.sort(key=lambda c: c[0])
    _, key, code, display = candidates[0]
    stored = normalised(key, code)
    if stored is None or len(stored) > 32:
        return f"Condition.code {code!r} is not a valid {key} code"
    icd10 = next((normalised("icd10cm", c[2]) for c in candidates if c[1] == "icd10cm"), None)
    shown = display if type(display) is str and display else concept_text(concept) or stored
    return key, stored, shown, icd10


def _first_code(concept: Any) -> str | None:
    found = codings(concept)
    code = found[0].get("code") if found else None
    return code if type(code) is str else None


def _category(categories: Any) -> str:
    for concept in categories if type(categories) is list else ():
        for coding in codings(concept):
            if coding.get("code") in _CATEGORIES:
                return str(coding["code"])
    return ConditionCategory.problem_list_item.value


def _period_start(value: Any) -> Any:
    return local_date(value.get("start")) if type(value) is dict else None
