"""Pure mappers from FHIR R4 resources to careloop's own rows, one function per resource type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from careloop.integrations.fhir.mappers.base import (
    PRIMARY,
    Context,
    Link,
    Mapped,
    NameOf,
    Row,
)
from careloop.integrations.fhir.mappers.care import map_care_plan, map_care_team, map_goal
from careloop.integrations.fhir.mappers.clinical import (
    map_allergy,
    map_diagnostic_report,
    map_immunization,
    map_procedure,
    map_service_request,
)
from careloop.integrations.fhir.mappers.condition import map_condition
from careloop.integrations.fhir.mappers.encounter import map_encounter
from careloop.integrations.fhir.mappers.medication import map_medication_request, map_medication_statement
from careloop.integrations.fhir.mappers.observation import map_observation
from careloop.integrations.fhir.mappers.patient import map_patient
from careloop.integrations.fhir.mappers.provider import (
    map_location,
    map_organization,
    map_practitioner,
    map_practitioner_role,
)

Mapper = Callable[[dict[str, Any], Context], Mapped]

MAPPERS: dict[str, Mapper] = {
    "Patient": map_patient,
    "Practitioner": map_practitioner,
    "PractitionerRole": map_practitioner_role,
    "Organization": map_organization,
    "Location": map_location,
    "Encounter": map_encounter,
    "Condition": map_condition,
    "Observation": map_observation,
    "MedicationRequest": map_medication_request,
    "MedicationStatement": map_medication_statement,
    "Procedure": map_procedure,
    "Immunization": map_immunization,
    "AllergyIntolerance": map_allergy,
    "CarePlan": map_care_plan,
    "CareTeam": map_care_team,
    "Goal": map_goal,
    "ServiceRequest": map_service_request,
    "DiagnosticReport": map_diagnostic_report,
}

# The careloop table each type's rows live in (the primary row for one-to-one mappings).
TABLES: dict[str, str] = {
    "Patient": "patients", "Practitioner": "practitioners", "PractitionerRole": "practitioner_roles",
    "Organization": "organizations", "Location": "locations", "Encounter": "encounters",
    "Condition": "conditions", "Observation": "observations", "MedicationRequest": "medication_requests",
    "MedicationStatement": "medication_statements", "Procedure": "procedures", "Immunization": "immunizations",
    "AllergyIntolerance": "allergy_intolerances", "CarePlan": "care_plans", "CareTeam": "care_team_members",
    "Goal": "goals", "ServiceRequest": "service_requests", "DiagnosticReport": "diagnostic_reports",
}

__all__ = ["MAPPERS", "PRIMARY", "TABLES", "Context", "Link", "Mapped", "Mapper", "NameOf", "Row"]
