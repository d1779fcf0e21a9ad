"""Observation -> observations, one row per value: a panel's components (a blood pressure's 8480-6 and
8462-4) become rows of their own sharing the panel's code, per careloop.models.observation."""

from __future__ import annotations

from typing import Any

from careloop.integrations.fhir.mappers.base import Context, Mapped, Row, enum_value, unmapped, values_of
from careloop.integrations.fhir.values import choice_range, clip, codings, concept_text, instant, normalised
from careloop.models.observation import ObservationStatus

LOINC = "http://loinc.org"
_STATUSES = values_of(ObservationStatus)


def map_observation(resource: dict[str, Any], ctx: Context) -> Mapped:
    patient = ctx.link(resource.get("subject"), "subject", required=True)
    if patient is None or patient.ref.type != "Patient":
        return unmapped("Observation.subject is not a patient reference careloop can follow")
    code, display = _loinc(resource["code"])
    if code is None:
        return unmapped("Observation.code has no LOINC coding: careloop stores observations in LOINC")
    effective = choice_range(resource, "effective")
    at = (effective[0] if effective else None) or instant(resource.get("issued"))
    if at is None:
        return unmapped("Observation has no effective[x] or issued time")
    common = {
        "patient_id": patient, "encounter_id": ctx.link(resource.get("encounter"), "encounter"),
        "category": _category(resource.get("category")),
        "status": enum_value(resource.get("status"), _STATUSES, "unknown"), "effective_at": at,
    }
    rows = []
    if _has_value(resource):
        rows.append(_row(common, code, display, None, resource))
    components = resource.get("component")
    for component in components if type(components) is list else ():
        if type(component) is not dict:
            continue
        part_code, part_display = _loinc(component.get("code"))
        if part_code is not None and _has_value(component):
            rows.append(_row(common, part_code, part_display, code, component))
    if not rows:
        return unmapped("Observation has no value and no component with a LOINC code and a value")
    return Mapped(rows, one_to_one=False, patient=patient.ref)


def _row(common: dict[str, Any], code: str, display: str, panel: str | None, holder: dict[str, Any]) -> Row:
    value_num, value_text, unit = _value(holder)
    return Row("observations", {**common, "code": code, "display": clip(display, 200), "panel_code": panel,
                                "value_num": value_num, "value_text": clip(value_text, 300), "unit": unit})


def _loinc(concept: Any) -> tuple[str | None, str]:
    for coding in codings(concept):
        if coding.get("system") == LOINC and type(coding.get("code")) is str:
            code = normalised("loinc", coding["code"])
            if code:
                display = coding.get("display")
                return code, display if type(display) is str and display else concept_text(concept) or code
    return None, ""


def _category(categories: Any) -> str:
    for concept in categories if type(categories) is list else ():
        for coding in codings(concept):
            if type(coding.get("code")) is str:
                return str(coding["code"])[:24]
    return "unknown"


_VALUE_KEYS = ("valueQuantity", "valueCodeableConcept", "valueString", "valueBoolean", "valueInteger",
               "valueDateTime", "valueTime")


def _has_value(holder: dict[str, Any]) -> bool:
    return any(key in holder for key in _VALUE_KEYS)


def _value(holder: dict[str, Any]) -> tuple[float | None, str | None, str | None]:
    quantity = holder.get("valueQuantity")
    if type(quantity) is dict:
        number = quantity.get("value")
        unit = quantity.get("code") or quantity.get("unit")
        return (float(number) if isinstance(number, int | float) else None,
                None, unit[:24] if type(unit) is str else None)
    if "valueCodeableConcept" in holder:
        return None, concept_text(holder["valueCodeableConcept"]), None
    if type(holder.get("valueInteger")) is int:
        return float(holder["valueInteger"]), None, None
    if type(holder.get("valueBoolean")) is bool:
        return None, "true" if holder["valueBoolean"] else "false", None
    for key in ("valueString", "valueDateTime", "valueTime"):
        if type(holder.get(key)) is str:
            return None, holder[key], None
    return None, None, None

