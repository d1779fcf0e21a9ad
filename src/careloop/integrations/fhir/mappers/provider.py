"""Organization, Location, Practitioner and PractitionerRole -> the directory of who and where."""

from __future__ import annotations

from typing import Any

from careloop.integrations.fhir.mappers.base import Context, Mapped, Row, enum_value, first, unmapped, values_of
from careloop.integrations.fhir.mappers.common import address, display_name, human_name, identifier_value, telecom
from careloop.integrations.fhir.values import clip, code_fits, first_coding, period
from careloop.models.location import LocationStatus

NPI = "http://hl7.org/fhir/sid/us-npi"
_LOCATION_STATUSES = values_of(LocationStatus)


def map_organization(resource: dict[str, Any], ctx: Context) -> Mapped:
    name = resource.get("name")
    if type(name) is not str or not name:
        return unmapped("Organization.name missing: careloop lists organizations by name")
    _, type_code, type_display = first_coding(first(resource.get("type")))
    return Mapped([Row("organizations", {
        "name": clip(name, 200), "type_code": code_fits(type_code, 32), "type_display": clip(type_display, 200),
        "npi": code_fits(identifier_value(resource.get("identifier"), NPI), 20),
        "phone": clip(telecom(resource.get("telecom"), "phone"), 40), **address(resource.get("address")),
        "active": resource.get("active") is not False,
        "part_of_id": ctx.link(resource.get("partOf"), "partOf"),
    })])


def map_location(resource: dict[str, Any], ctx: Context) -> Mapped:
    name = resource.get("name")
    if type(name) is not str or not name:
        return unmapped("Location.name missing: careloop lists locations by name")
    _, type_code, type_display = first_coding(first(resource.get("type")))
    found = resource.get("position")
    position: dict[str, Any] = found if type(found) is dict else {}
    return Mapped([Row("locations", {
        "name": clip(name, 200), "status": enum_value(resource.get("status"), _LOCATION_STATUSES),
        "type_code": code_fits(type_code, 32), "type_display": clip(type_display, 200),
        "phone": clip(telecom(resource.get("telecom"), "phone"), 40), **address(resource.get("address")),
        "latitude": _number(position.get("latitude")), "longitude": _number(position.get("longitude")),
        "managing_organization_id": ctx.link(resource.get("managingOrganization"), "managingOrganization"),
    })])


def map_practitioner(resource: dict[str, Any], ctx: Context) -> Mapped:
    name = human_name(resource.get("name"))
    shown = display_name(name)
    if not shown:
        return unmapped("Practitioner.name missing: careloop shows practitioners by name")
    given = name.get("given")
    return Mapped([Row("practitioners", {
        "name": clip(shown, 200), "family": clip(name.get("family"), 100),
        "given": clip(" ".join(g for g in given if type(g) is str) if type(given) is list else None, 100),
        "npi": code_fits(identifier_value(resource.get("identifier"), NPI), 20),
        "gender": code_fits(resource.get("gender") if type(resource.get("gender")) is str else None, 16),
        "phone": clip(telecom(resource.get("telecom"), "phone"), 40),
        "email": clip(telecom(resource.get("telecom"), "email"), 200),
        "active": resource.get("active") is not False,
    })])


def map_practitioner_role(resource: dict[str, Any], ctx: Context) -> Mapped:
    _, role_code, role_display = first_coding(first(resource.get("code")))
    _, specialty_code, specialty_display = first_coding(first(resource.get("specialty")))
    start, end = period(resource.get("period"))
    return Mapped([Row("practitioner_roles", {
        "practitioner_id": ctx.link(resource.get("practitioner"), "practitioner"),
        "organization_id": ctx.link(resource.get("organization"), "organization"),
        "location_id": ctx.link(first(resource.get("location")), "location"),
        "role_code": code_fits(role_code, 32), "role_display": clip(role_display, 200),
        "specialty_code": code_fits(specialty_code, 32), "specialty_display": clip(specialty_display, 200),
        "phone": clip(telecom(resource.get("telecom"), "phone"), 40),
        "email": clip(telecom(resource.get("telecom"), "email"), 200),
        "active": resource.get("active") is not False, "period_start": start, "period_end": end,
    })])


def _number(value: Any) -> float | None:
    return float(value) if type(value) in (int, float) else None
