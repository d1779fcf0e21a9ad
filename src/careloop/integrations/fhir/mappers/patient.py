"""Patient -> patients and patient_identifiers."""

from __future__ import annotations

from typing import Any

from careloop.integrations.fhir.mappers.base import PRIMARY, Context, Mapped, Row, enum_value, unmapped, values_of
from careloop.integrations.fhir.mappers.common import address, given_names, human_name, telecom
from careloop.integrations.fhir.values import clip, instant, local_date
from careloop.models.patient import AdministrativeGender

_GENDERS = values_of(AdministrativeGender)


def map_patient(resource: dict[str, Any], ctx: Context) -> Mapped:
    birth_date = local_date(resource.get("birthDate"))
    if birth_date is None:
        return unmapped("Patient.birthDate missing: a careloop patient needs a date of birth")
    name = human_name(resource.get("name"))
    family = clip(name.get("family") if type(name.get("family")) is str else "", 100) or ""
    given = clip(given_names(name), 100) or ""
    values: dict[str, Any] = {
        "family": family, "given": given, "family_norm": family.lower(), "given_norm": given.lower(),
        "birth_date": birth_date, "gender": enum_value(resource.get("gender"), _GENDERS, "unknown"),
        "phone": clip(telecom(resource.get("telecom"), "phone"), 40),
        "email": clip(telecom(resource.get("telecom"), "email"), 200),
        **address(resource.get("address")),
        "deceased_at": instant(resource.get("deceasedDateTime")),
        "active": resource.get("active") is not False,
    }
    language = _language(resource.get("communication"))
    if language:
        values["preferred_language"] = language
    rows = [Row("patients", values)]
    rows.extend(_identifiers(resource.get("identifier")))
    return Mapped(rows)  # a Patient's compartment is the patient row itself


def _language(communication: Any) -> str | None:
    """BCP-47 code of the preferred language (or the only one given)."""
    if type(communication) is not list:
        return None
    usable = [c for c in communication if type(c) is dict]
    chosen = next((c for c in usable if c.get("preferred") is True), usable[0] if len(usable) == 1 else None)
    language = chosen.get("language") if chosen else None
    coding = language.get("coding") if type(language) is dict else None
    code = coding[0].get("code") if type(coding) is list and coding and type(coding[0]) is dict else None
    return code if type(code) is str and len(code) <= 16 else None


def _identifiers(identifiers: Any) -> list[Row]:
    rows = []
    for identifier in identifiers if type(identifiers) is list else ():
        if type(identifier) is not dict:
            continue
        system, value = identifier.get("system"), identifier.get("value")
        if type(system) is not str or type(value) is not str or len(system) > 200 or len(value) > 100:
            continue  # matching needs both; one that does not fit is kept in the FHIR store only
        type_code = None
        concept = identifier.get("type")
        coding = concept.get("coding") if type(concept) is dict else None
        if type(coding) is list and coding and type(coding[0]) is dict and type(coding[0].get("code")) is str:
            type_code = coding[0]["code"][:16]
        rows.append(Row("patient_identifiers",
                        {"patient_id": PRIMARY, "system": system, "value": value, "type_code": type_code}))
    return rows
