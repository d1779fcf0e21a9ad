"""The cheap structural check every imported resource passes instead of full model validation (which runs
about 50 times slower than parsing; see docs/decisions.md): a known R4 resource type, a valid id, and the
elements the FHIR R4 specification makes required (min 1) for the types careloop maps, with the JSON shape
careloop reads them as. Anything subtler is left to the API's validation and to the mappers, which store
a resource they cannot map rather than reject it."""

from __future__ import annotations

import re
from typing import Any

# FHIR R4 (4.0.1) resource types, http://hl7.org/fhir/R4/resourcelist.html
_R4_TYPES = """
Account ActivityDefinition AdverseEvent AllergyIntolerance Appointment AppointmentResponse AuditEvent Basic
Binary BiologicallyDerivedProduct BodyStructure Bundle CapabilityStatement CarePlan CareTeam CatalogEntry
ChargeItem ChargeItemDefinition Claim ClaimResponse ClinicalImpression CodeSystem Communication
CommunicationRequest CompartmentDefinition Composition ConceptMap Condition Consent Contract Coverage
CoverageEligibilityRequest CoverageEligibilityResponse DetectedIssue Device DeviceDefinition DeviceMetric
DeviceRequest DeviceUseStatement DiagnosticReport DocumentManifest DocumentReference EffectEvidenceSynthesis
Encounter Endpoint EnrollmentRequest EnrollmentResponse EpisodeOfCare EventDefinition Evidence EvidenceVariable
ExampleScenario ExplanationOfBenefit FamilyMemberHistory Flag Goal GraphDefinition Group GuidanceResponse
HealthcareService ImagingStudy Immunization ImmunizationEvaluation ImmunizationRecommendation
ImplementationGuide InsurancePlan Invoice Library Linkage List Location Measure MeasureReport Media Medication
MedicationAdministration MedicationDispense MedicationKnowledge MedicationRequest MedicationStatement
MedicinalProduct MedicinalProductAuthorization MedicinalProductContraindication MedicinalProductIndication
MedicinalProductIngredient MedicinalProductInteraction MedicinalProductManufactured MedicinalProductPackaged
MedicinalProductPharmaceutical MedicinalProductUndesirableEffect MessageDefinition MessageHeader
MolecularSequence NamingSystem NutritionOrder Observation ObservationDefinition OperationDefinition
OperationOutcome Organization OrganizationAffiliation Parameters Patient PaymentNotice PaymentReconciliation
Person PlanDefinition Practitioner PractitionerRole Procedure Provenance Questionnaire QuestionnaireResponse
RelatedPerson RequestGroup ResearchDefinition ResearchElementDefinition ResearchStudy ResearchSubject
RiskAssessment RiskEvidenceSynthesis Schedule SearchParameter ServiceRequest Slot Specimen SpecimenDefinition
StructureDefinition StructureMap Subscription Substance SubstanceNucleicAcid SubstancePolymer SubstanceProtein
SubstanceReferenceInformation SubstanceSourceMaterial SubstanceSpecification SupplyDelivery SupplyRequest Task
TerminologyCapabilities TestReport TestScript ValueSet VerificationResult VisionPrescription
"""
RESOURCE_TYPES = frozenset(_R4_TYPES.split())

# Import order within a run or a batch: what others refer to first, so their references resolve on the spot
# (anything later still resolves at the end of the run).
_RANKED = ("Organization", "Location", "Practitioner", "PractitionerRole", "Patient", "RelatedPerson", "Encounter",
           "Condition", "Goal", "CareTeam", "Observation", "DiagnosticReport", "Procedure", "Immunization",
           "AllergyIntolerance", "MedicationRequest", "MedicationStatement", "ServiceRequest", "CarePlan")
_RANK = {name: index for index, name in enumerate(_RANKED)}


def type_rank(resource_type: str) -> int:
    return _RANK.get(resource_type, len(_RANKED))


# FHIR R4 id: http://hl7.org/fhir/R4/datatypes.html#id
ID_PATTERN = re.compile(r"[A-Za-z0-9\-.]{1,64}")

# Elements with min cardinality 1 in R4 for the types careloop maps, and the JSON kind careloop reads them as.
# A tuple of names is a choice type (medication[x]): one of them must be there.
_DICT, _STR = dict, str
_REQUIRED: dict[str, tuple[tuple[tuple[str, ...], type], ...]] = {
    "Encounter": ((("status",), _STR), (("class",), _DICT)),
    "Condition": ((("subject",), _DICT),),
    "Observation": ((("status",), _STR), (("code",), _DICT)),
    "MedicationRequest": ((("status",), _STR), (("intent",), _STR), (("subject",), _DICT),
                          (("medicationCodeableConcept", "medicationReference"), _DICT)),
    "MedicationStatement": ((("status",), _STR), (("subject",), _DICT),
                            (("medicationCodeableConcept", "medicationReference"), _DICT)),
    "Procedure": ((("status",), _STR), (("subject",), _DICT)),
    "Immunization": ((("status",), _STR), (("vaccineCode",), _DICT), (("patient",), _DICT),
                     (("occurrenceDateTime", "occurrenceString"), _STR)),
    "AllergyIntolerance": ((("patient",), _DICT),),
    "CarePlan": ((("status",), _STR), (("intent",), _STR), (("subject",), _DICT)),
    "Goal": ((("lifecycleStatus",), _STR), (("description",), _DICT), (("subject",), _DICT)),
    "ServiceRequest": ((("status",), _STR), (("intent",), _STR), (("subject",), _DICT)),
    "DiagnosticReport": ((("status",), _STR), (("code",), _DICT)),
}


def problem(resource: dict[str, Any]) -> str | None:
    """Why `resource` cannot be accepted as FHIR R4, or None."""
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str):
        return "no resourceType"
    if rtype not in RESOURCE_TYPES:
        return f"{rtype!r} is not a FHIR R4 resource type"
    if rtype == "Bundle":
        return "a Bundle inside a Bundle or an NDJSON line is not imported"
    rid = resource.get("id")
    if rid is not None and not (isinstance(rid, str) and ID_PATTERN.fullmatch(rid)):
        return f"id {rid!r} is not a FHIR id (1-64 of A-Z a-z 0-9 - .)"
    for names, kind in _REQUIRED.get(rtype, ()):
        value = next((resource[name] for name in names if name in resource), None)
        if value is None:
            return f"{rtype}.{_label(names)} is required (FHIR R4) and missing"
        if not isinstance(value, kind):
            return f"{rtype}.{_label(names)} must be a JSON {'object' if kind is dict else 'string'}"
    return None


def _label(names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return names[0]
    stem = names[0]
    for name in names[1:]:
        while not name.startswith(stem):
            stem = stem[:-1]
    return f"{stem}[x]"
