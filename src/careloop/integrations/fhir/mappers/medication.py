"""MedicationRequest -> medication_requests and MedicationStatement -> medication_statements, in RxNorm."""

from __future__ import annotations

from typing import Any

from careloop.integrations.fhir.mappers.base import Context, Mapped, Row, enum_value, first, unmapped, values_of
from careloop.integrations.fhir.values import choice_range, clip, codings, concept_text, instant, normalised
from careloop.models.medication import MedicationRequestStatus
from careloop.models.medication_statement import MedicationStatementStatus

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
_REQUEST_STATUSES = values_of(MedicationRequestStatus)
_STATEMENT_STATUSES = values_of(MedicationStatementStatus)


def map_medication_request(resource: dict[str, Any], ctx: Context) -> Mapped:
    patient = ctx.link(resource["subject"], "subject", required=True)
    if patient is None or patient.ref.type != "Patient":
        return unmapped("MedicationRequest.subject is not a patient reference careloop can follow")
    rxnorm, display = medication_code(resource)
    if rxnorm is None:
        return unmapped("MedicationRequest has no RxNorm code: careloop stores medications in RxNorm")
    authored = instant(resource.get("authoredOn"))
    if authored is None:
        return unmapped("MedicationRequest.authoredOn missing: careloop orders medications by it")
    return Mapped([Row("medication_requests", {
        "patient_id": patient, "rxnorm": rxnorm, "display": clip(display, 300),
        "status": enum_value(resource["status"], _REQUEST_STATUSES, "unknown"),
        "intent": resource["intent"][:24], "dosage_text": clip(_dosage_text(resource.get("dosageInstruction")), 300),
        "authored_on": authored,
        "prescriber": ctx.name_of(resource.get("requester"), "requester", 200),
    })], patient=patient.ref)


def map_medication_statement(resource: dict[str, Any], ctx: Context) -> Mapped:
    patient = ctx.link(resource["subject"], "subject", required=True)
    if patient is None or patient.ref.type != "Patient":
        return unmapped("MedicationStatement.subject is not a patient reference careloop can follow")
    rxnorm, display = medication_code(resource)
    if rxnorm is None:
        return unmapped("MedicationStatement has no RxNorm code: careloop stores medications in RxNorm")
    start, end = choice_range(resource, "effective") or (None, None)
    return Mapped([Row("medication_statements", {
        "patient_id": patient, "rxnorm": rxnorm, "display": clip(display, 300),
        "status": enum_value(resource["status"], _STATEMENT_STATUSES, "unknown"),
        "effective_start": start, "effective_end": end, "date_asserted": instant(resource.get("dateAsserted")),
        "dosage_text": clip(_dosage_text(resource.get("dosage")), 300),
    })], patient=patient.ref)


def medication_code(resource: dict[str, Any]) -> tuple[str | None, str]:
    """The RxNorm code of medicationCodeableConcept, or of a contained Medication it references."""
    concept = resource.get("medicationCodeableConcept")
    if concept is None:
        concept = _contained_medication_code(resource)
    for coding in codings(concept):
        if coding.get("system") == RXNORM and type(coding.get("code")) is str:
            code = normalised("rxnorm", coding["code"])
            if code and len(code) <= 16:
                display = coding.get("display")
                return code, display if type(display) is str and display else concept_text(concept) or code
    return None, ""


def _contained_medication_code(resource: dict[str, Any]) -> Any:
    reference = resource.get("medicationReference")
    target = reference.get("reference") if type(reference) is dict else None
    if type(target) is not str or not target.startswith("#"):
        return None
    for contained in resource.get("contained") or ():
        if type(contained) is dict and contained.get("id") == target[1:] and contained.get("resourceType") == \
                "Medication":
            return contained.get("code")
    return None


def _dosage_text(dosages: Any) -> str | None:
    dosage = first(dosages)
    text = dosage.get("text") if type(dosage) is dict else None
    return text if type(text) is str else None
